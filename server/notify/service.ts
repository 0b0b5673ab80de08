/**
 * Notification routing, escalation and fallback (R34).
 * - Routing: each route selects alarms by priority and/or owner; its level 0 is notified when the
 *   alarm is annunciated. Incidents use the route of the priority matching their grade
 *   (grade 1 → P1, 2 → P2, 3 → P3); status owners are notified directly.
 * - Escalation: level n+1 is notified when the alarm is still unacknowledged `afterS` seconds
 *   after it was annunciated; acknowledging stops it. Re-alarms of P1 keep escalating.
 * - Fallback: for each recipient the level's channels are tried in order until one accepts.
 * - Every attempt is recorded (records.notifications) and published on the bus.
 * - During an alarm flood, single alarm pages are held back and one flood page is sent.
 */
import type { RouteConfig } from '../config.js';
import type { Repos } from '../records/repos.js';
import type { Bus, BusMessage } from '../stream/bus.js';
import type { Logger } from '../../lib/log.js';
import type { Alarm } from '../alarms/isa.js';
import { isUnacked } from '../alarms/isa.js';
import type { NotifyChannel, NotifyMessage, Recipient } from './channel.js';

interface Escalation { alarmId: string; route: number; nextLevel: number; startedAt: number }

export interface NotifyOptions { now: () => number; routes: RouteConfig[]; recipients: Recipient[]; channels: NotifyChannel[]; getAlarm: (id: string) => Alarm | undefined; inFlood: () => boolean }

export class NotifyService {
  private readonly escalations = new Map<string, Escalation>();
  private readonly inflight = new Set<Promise<unknown>>();
  readonly stats = { sent: 0, failed: 0, held: 0 };

  constructor(private readonly repos: Repos, private readonly bus: Bus, private readonly log: Logger, private readonly o: NotifyOptions) {}

  /** Listen to the bus: annunciations start routing, acknowledgements stop escalation. */
  attach(): () => void {
    return this.bus.on((m) => this.onBus(m));
  }

  private onBus(m: BusMessage) {
    if (m.topic === 'alarm') {
      const a = m.data.alarm as unknown as Alarm;
      const change = m.data.change as string;
      if (!isUnacked(a.state)) { for (const k of [...this.escalations.keys()]) if (k.startsWith(`${a.id}|`)) this.escalations.delete(k); return; }
      if (a.state === 'UNACK' && m.data.from !== 'UNACK' && (change === 'active' || change === 'mirror' || change === 'shelve-expired')) this.alarmAnnunciated(a);
      else if (change === 'realarm') this.realarm(a);
    } else if (m.topic === 'flood' && m.data.state === 'start') {
      const root = this.o.getAlarm(String(m.data.rootId));
      this.broadcast({ kind: 'flood', subjectId: String(m.data.rootId), subject: `flood: ${String(m.data.count)} alarms`,
        text: `Alarm flood: ${String(m.data.count)} alarms in the window; probable cause: ${root ? `${root.message} (${root.zone ?? root.device ?? root.site})` : String(m.data.rootId)}`,
        priority: 'P1', level: 0, drill: root?.drill ?? false, ts: m.ts, data: { ...m.data } }, 'P1');
    }
  }

  private routesFor(a: Pick<Alarm, 'priority' | 'owners'>): number[] {
    const out: number[] = [];
    this.o.routes.forEach((r, i) => {
      if (r.priorities && !r.priorities.includes(a.priority)) return;
      if (r.owners && !r.owners.some((o) => a.owners.includes(o))) return;
      out.push(i);
    });
    return out;
  }

  private alarmAnnunciated(a: Alarm) {
    const routes = this.routesFor(a);
    if (this.o.inFlood() && a.groupId) { this.stats.held++; }
    for (const ri of routes) {
      if (!(this.o.inFlood() && a.groupId)) this.deliverLevel(ri, 0, this.alarmMessage(a, 0));
      if (this.o.routes[ri]!.levels.length > 1) this.escalations.set(`${a.id}|${ri}`, { alarmId: a.id, route: ri, nextLevel: 1, startedAt: this.o.now() });
    }
  }

  /** An unacknowledged P1 re-alarms (FS-26): the next escalation level is notified now, or the last one again. */
  private realarm(a: Alarm) {
    for (const ri of this.routesFor(a)) {
      const levels = this.o.routes[ri]!.levels;
      const e = this.escalations.get(`${a.id}|${ri}`);
      const level = e && e.nextLevel < levels.length ? e.nextLevel : levels.length - 1;
      if (e && e.nextLevel < levels.length) e.nextLevel++;
      this.deliverLevel(ri, level, { ...this.alarmMessage(a, level), kind: 'escalation', text: `${this.alarmMessage(a, level).text} (re-alarm: still unacknowledged)` });
    }
  }

  private alarmMessage(a: Alarm, level: number): NotifyMessage {
    const where = [a.zone, a.rack, a.device].filter(Boolean).join(' / ');
    return { kind: level ? 'escalation' : 'alarm', subjectId: a.id, subject: `${a.priority} ${a.class}: ${a.message}`,
      text: `${a.priority} ${a.class} ${a.state}${where ? ` at ${where}` : ''}: ${a.message}${level ? ` — not acknowledged, escalated to level ${level}` : ''}`,
      priority: a.priority, level, drill: a.drill, ts: this.o.now(), data: { alarmId: a.id, state: a.state, zone: a.zone ?? null, rack: a.rack ?? null } };
  }

  /** Escalate unacknowledged alarms whose next level is due. Call every second. */
  tick(): void {
    const now = this.o.now();
    for (const [k, e] of [...this.escalations]) {
      const a = this.o.getAlarm(e.alarmId);
      if (!a || !isUnacked(a.state)) { this.escalations.delete(k); continue; }
      const route = this.o.routes[e.route]!;
      const lvl = route.levels[e.nextLevel];
      if (!lvl) { this.escalations.delete(k); continue; }
      if (e.startedAt + (lvl.afterS ?? 0) * 1000 > now) continue;
      this.deliverLevel(e.route, e.nextLevel, this.alarmMessage(a, e.nextLevel));
      e.nextLevel++;
    }
  }

  /** Level 0 of every route that matches a priority (flood pages, incident grades). */
  broadcast(msg: NotifyMessage, priority: string): void {
    this.o.routes.forEach((r, i) => { if (!r.priorities || r.priorities.includes(priority as Alarm['priority'])) this.deliverLevel(i, msg.level, msg); });
  }

  /** Notify one owner (status R31) over the channels that can reach them. */
  owner(owner: string, msg: NotifyMessage): void {
    const rec = this.o.recipients.find((r) => r.id === owner) ?? { id: owner };
    const chans = this.o.channels.filter((c) => c.type !== 'email' || rec.email).map((c) => c.id);
    this.track(this.deliver(msg, rec, chans.length ? chans : ['console']));
  }

  private deliverLevel(routeIdx: number, level: number, msg: NotifyMessage) {
    const lvl = this.o.routes[routeIdx]?.levels[Math.min(level, this.o.routes[routeIdx]!.levels.length - 1)];
    if (!lvl) return;
    for (const rid of lvl.recipients) {
      const rec = this.o.recipients.find((r) => r.id === rid) ?? { id: rid };
      this.track(this.deliver({ ...msg, level }, rec, lvl.channels));
    }
  }

  private track(p: Promise<unknown>) { this.inflight.add(p); void p.finally(() => this.inflight.delete(p)); }

  /** Try each channel in order until one accepts; record every attempt. */
  private async deliver(msg: NotifyMessage, to: Recipient, channelIds: string[]): Promise<boolean> {
    let attempt = 0;
    for (const cid of channelIds) {
      attempt++;
      const ch = this.o.channels.find((c) => c.id === cid);
      let ok = false; let error: string | null = null;
      if (!ch) error = `no channel '${cid}'`;
      else {
        try { await ch.send(msg, to); ok = true; } catch (err) { error = (err as Error).message.slice(0, 500); }
      }
      const rec = { ts: this.o.now(), subjectKind: (msg.kind === 'escalation' || msg.kind === 'test' ? 'alarm' : msg.kind) as 'alarm', subjectId: msg.subjectId,
        channel: cid, recipient: to.id, level: msg.level, attempt, ok, error, drill: msg.drill };
      await this.repos.recordNotification(rec).catch((err: Error) => this.log.error({ err }, 'notification record failed'));
      this.bus.emit('notification', rec.ts, { ...rec, kind: msg.kind, subject: msg.subject });
      if (ok) { this.stats.sent++; return true; }
      this.stats.failed++;
      this.log.warn({ channel: cid, recipient: to.id, error }, 'notification delivery failed; trying the next channel');
    }
    return false;
  }

  /** Wait for deliveries in flight (tests, shutdown). */
  async idle(): Promise<void> { while (this.inflight.size) await Promise.allSettled([...this.inflight]); }

  async close(): Promise<void> {
    await this.idle();
    for (const c of this.o.channels) await c.close?.();
  }
}
