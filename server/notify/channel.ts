/**
 * Notification channels are plugins: each has an id, a type and `send(message, recipient)`,
 * which resolves when the channel accepted the message and rejects with the reason otherwise.
 * New channel types (SMS, voice, chat) implement this interface and are listed in channels/index.ts.
 */
export interface Recipient { id: string; email?: string }

export interface NotifyMessage {
  kind: 'alarm' | 'incident' | 'status' | 'flood' | 'escalation' | 'test';
  subjectId: string;
  subject: string;
  text: string;
  priority?: string;
  level: number;
  drill: boolean;
  ts: number;
  data: Record<string, unknown>;
}

export interface NotifyChannel {
  readonly id: string;
  readonly type: string;
  send(msg: NotifyMessage, to: Recipient): Promise<void>;
  close?(): Promise<void>;
}
