/**
 * The interface other parts (the fire runtime, device status, command audit) use to send events
 * to the server. Events go through store-and-forward on their own stream and are never dropped.
 */
import type { AgentEvent } from '../../lib/mqtt-contract.js';

/** What a caller gives; the agent adds v, site, agent, epoch, seq and sentAt. */
export type EventInput = Omit<AgentEvent, 'v' | 'site' | 'agent' | 'epoch' | 'seq' | 'sentAt'>;

export interface EventPublisher {
  /**
   * Queue an event (persisted before this returns when the disk buffer is used). Returns the
   * sequence number it got in the `event` stream. Never throws for an invalid event: it is sent
   * anyway (message truncated to the contract's 2000 characters) and counted as invalid.
   */
  publishEvent(e: EventInput): number;
  /** Latest-value retained document on `state/{key}` (e.g. `fire/z1`); not queued, re-sent on reconnect. */
  publishState(key: string, doc: unknown): void;
}
