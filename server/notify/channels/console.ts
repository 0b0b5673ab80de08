/** Console banner channel: the message goes to every connected console on the live stream (topic `banner`). */
import type { Bus } from '../../stream/bus.js';
import type { NotifyChannel, NotifyMessage, Recipient } from '../channel.js';

export class ConsoleChannel implements NotifyChannel {
  readonly type = 'console';
  constructor(readonly id: string, private readonly bus: Bus) {}
  async send(msg: NotifyMessage, to: Recipient): Promise<void> {
    this.bus.emit('banner', msg.ts, { recipient: to.id, kind: msg.kind, subjectId: msg.subjectId, subject: msg.subject, text: msg.text, priority: msg.priority ?? null, level: msg.level, drill: msg.drill });
  }
}
