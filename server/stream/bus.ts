/**
 * The in-process bus between the operational services and the live stream. Each message has
 * a topic and a JSON body; the stream hub forwards them to consoles, notify and incidents
 * listen for what concerns them. Synchronous fan-out: a listener that throws is logged, never
 * breaks the others.
 */
import type { Logger } from '../../lib/log.js';

export type BusTopic = 'point' | 'status' | 'alarm' | 'fire' | 'incident' | 'command' | 'notification' | 'flood' | 'banner' | 'agent';

export interface BusMessage { topic: BusTopic; ts: number; data: Record<string, unknown> }
type Listener = (m: BusMessage) => void;

export class Bus {
  private readonly listeners = new Set<Listener>();
  constructor(private readonly log?: Logger) {}

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  emit(topic: BusTopic, ts: number, data: Record<string, unknown>): void {
    const m: BusMessage = { topic, ts, data };
    for (const fn of this.listeners) {
      try { fn(m); } catch (err) { this.log?.error({ err, topic }, 'bus listener failed'); }
    }
  }
}
