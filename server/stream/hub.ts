/**
 * The live stream for consoles (Server-Sent Events). Each client has a bounded queue:
 * - alarms, status, fire-zone, incident, command, notification, flood and banner messages are
 *   never dropped; if a client cannot take them (queue over `maxQueue`) it is disconnected with
 *   a final `overflow` event and reconnects to a fresh snapshot;
 * - points are coalesced per point (latest value wins) and sent as one `points` batch per
 *   flush; points replaced before they were sent are counted as `coalesced`.
 * Writes respect the socket: when `write` returns false the client waits for 'drain'.
 */
import type { ServerResponse } from 'node:http';
import type { Point } from '../../lib/points.js';
import type { Bus, BusMessage, BusTopic } from './bus.js';

export const STREAM_TOPICS: BusTopic[] = ['status', 'alarm', 'fire', 'incident', 'command', 'notification', 'flood', 'banner', 'agent', 'point'];

export interface ClientFilter { topics: Set<BusTopic>; points: string[] | null }

interface Client {
  id: number; res: ServerResponse; filter: ClientFilter; queue: string[]; points: Map<string, Point>;
  waitingDrain: boolean; scheduled: boolean; sent: number; coalesced: number; closed: boolean; user: string;
}

export interface HubOptions { maxQueue?: number; pointFlushMs?: number; heartbeatMs?: number }

export class StreamHub {
  private readonly clients = new Map<number, Client>();
  private nextId = 1;
  private msgId = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly unsub: () => void;
  readonly stats = { connected: 0, overflowDisconnects: 0, coalesced: 0, messages: 0 };

  constructor(bus: Bus, private readonly o: HubOptions = {}) {
    this.unsub = bus.on((m) => this.onBus(m));
    this.timer = setInterval(() => this.heartbeat(), o.heartbeatMs ?? 15_000);
    this.timer.unref();
  }

  static parseFilter(topics: string | undefined, points: string | undefined): ClientFilter {
    const t = topics ? topics.split(',').map((s) => s.trim()).filter(Boolean) : STREAM_TOPICS.filter((x) => x !== 'point');
    const set = new Set<BusTopic>(t.filter((x): x is BusTopic => (STREAM_TOPICS as string[]).includes(x)));
    const p = points ? points.split(',').map((s) => s.trim()).filter(Boolean) : null;
    if (p?.length) set.add('point');
    return { topics: set, points: p?.length ? p : null };
  }

  /** Take over a response: SSE headers, the snapshot, then live messages. */
  attach(res: ServerResponse, filter: ClientFilter, snapshot: Record<string, unknown>, user: string): number {
    const c: Client = { id: this.nextId++, res, filter, queue: [], points: new Map(), waitingDrain: false, scheduled: false, sent: 0, coalesced: 0, closed: false, user };
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.on('close', () => this.detach(c));
    res.on('error', () => this.detach(c));
    this.clients.set(c.id, c);
    this.stats.connected = this.clients.size;
    this.enqueue(c, 'hello', { client: c.id, topics: [...filter.topics], points: filter.points, ...snapshot });
    return c.id;
  }

  private detach(c: Client) {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c.id);
    this.stats.connected = this.clients.size;
  }

  private frame(event: string, data: unknown): string {
    return `id: ${++this.msgId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private enqueue(c: Client, event: string, data: unknown, frame?: string) {
    if (c.closed) return;
    if (c.queue.length >= (this.o.maxQueue ?? 5000)) {
      this.stats.overflowDisconnects++;
      c.res.write(this.frame('overflow', { reason: 'client too slow: reconnect for a fresh snapshot', queued: c.queue.length }));
      c.res.end();
      this.detach(c);
      return;
    }
    c.queue.push(frame ?? this.frame(event, data));
    this.schedule(c, 0);
  }

  private schedule(c: Client, delay: number) {
    if (c.scheduled || c.waitingDrain) return;
    c.scheduled = true;
    const run = () => { c.scheduled = false; this.flush(c); };
    if (delay) setTimeout(run, delay).unref(); else setImmediate(run);
  }

  private flush(c: Client) {
    if (c.closed || c.waitingDrain) return;
    if (c.points.size) {
      c.queue.push(this.frame('points', { points: [...c.points.values()] }));
      c.points.clear();
    }
    while (c.queue.length) {
      const chunk = c.queue.splice(0, 256).join('');
      this.stats.messages++;
      c.sent++;
      if (!c.res.write(chunk)) {
        c.waitingDrain = true;
        c.res.once('drain', () => { c.waitingDrain = false; this.flush(c); });
        return;
      }
    }
  }

  private onBus(m: BusMessage) {
    let frame: string | undefined; // serialised once, shared by every client that wants it
    for (const c of this.clients.values()) {
      if (!c.filter.topics.has(m.topic)) continue;
      frame ??= this.frame(m.topic, { ts: m.ts, ...m.data });
      this.enqueue(c, m.topic, null, frame);
    }
  }

  private matches(filter: ClientFilter, p: Point): boolean {
    if (!filter.points) return false;
    for (const f of filter.points) {
      if (f === '*') return true;
      if (f === p.device || f === `${p.device}/${p.name}` || (f.endsWith('*') && `${p.device}/${p.name}`.startsWith(f.slice(0, -1)))) return true;
    }
    return false;
  }

  /** Points from ingest: coalesced per client, flushed every `pointFlushMs`. */
  onPoints(points: Point[]): void {
    for (const c of this.clients.values()) {
      if (!c.filter.points) continue;
      let any = false;
      for (const p of points) {
        if (!this.matches(c.filter, p)) continue;
        const k = `${p.site}/${p.device}/${p.name}`;
        if (c.points.has(k)) { c.coalesced++; this.stats.coalesced++; }
        c.points.set(k, p);
        any = true;
      }
      if (any) this.schedule(c, this.o.pointFlushMs ?? 250);
    }
  }

  private heartbeat() {
    for (const c of this.clients.values()) if (!c.waitingDrain && !c.closed) c.res.write(': ping\n\n');
  }

  clientStats() { return [...this.clients.values()].map((c) => ({ id: c.id, user: c.user, queued: c.queue.length, pending: c.points.size, sent: c.sent, coalesced: c.coalesced, waitingDrain: c.waitingDrain })); }

  close(): void {
    clearInterval(this.timer);
    this.unsub();
    for (const c of [...this.clients.values()]) { c.res.end(); this.detach(c); }
  }
}
