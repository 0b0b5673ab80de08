/**
 * The integrated alarm list (R32, R33, FS-24..FS-26). Holds every alarm in memory (the hot
 * path: event → stream never waits for the database), writes each change through to
 * records.duckdb, and reloads on start so states, counts and shelves survive a restart.
 *
 * Two sources:
 * - server alarms (rules on points, status, link): transitions computed here with isa.ts;
 * - edge alarms (the fire sequence): MIRRORED exactly from the agent's events; the edge is the
 *   authority, so operator actions on them become commands and the state changes only when the
 *   edge reports it (see server/commands and mirror.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Repos } from '../records/repos.js';
import type { Bus } from '../stream/bus.js';
import type { Logger } from '../../lib/log.js';
import * as isa from './isa.js';
import { ChatterTracker, FloodTracker } from './flood.js';
import type { Alarm, AlarmClass, Priority } from './isa.js';

export interface RaiseSpec {
  key: string; site: string; type: string; message: string; class: AlarmClass; priority: Priority;
  latched?: boolean; lifeSafety?: boolean; zone?: string; rack?: string; device?: string; owners?: string[]; drill?: boolean;
}

export interface AlarmServiceOptions { now: () => number; reAlarmMs?: number; minAnnunciationMs?: number; floodThreshold?: number; floodWindowMs?: number; chatterPerMin?: number }

export interface AlarmActor { username: string; role: string }

export class AlarmService {
  private readonly alarms = new Map<string, Alarm>();
  private readonly byKey = new Map<string, string>();
  private readonly flood: FloodTracker;
  private readonly chatter: ChatterTracker;
  /** Deferred clears of chattering alarms (off-delay): id → clear due time. */
  private readonly pendingClear = new Map<string, number>();
  /** The raw condition of server alarms (the alarm's `active` may lag it by the off-delay). */
  private readonly raw = new Map<string, boolean>();
  private readonly minAnnunciationMs: number;
  /** FS-26 design suppression: zones (site/zone) isolated by their fire sequence → the suppressing cause. */
  private readonly isolatedZones = new Map<string, string>();
  readonly kpi = { annunciated: 0, floods: 0, chatterFlags: 0, mirrored: 0, suppressed: 0 };

  constructor(private readonly repos: Repos, private readonly bus: Bus, private readonly log: Logger, private readonly opts: AlarmServiceOptions) {
    this.flood = new FloodTracker(opts.floodThreshold ?? 10, opts.floodWindowMs ?? 600_000, 5);
    this.chatter = new ChatterTracker(opts.chatterPerMin ?? 3);
    this.minAnnunciationMs = opts.minAnnunciationMs ?? 60_000;
  }

  async load(): Promise<void> {
    for (const a of await this.repos.getDocs<Alarm>('alarm')) { this.alarms.set(a.id, a); this.byKey.set(a.key, a.id); }
    // A shelve whose expiry passed while the server was down is lifted at the first tick.
  }

  get(id: string): Alarm | undefined { return this.alarms.get(id); }
  byKeyGet(key: string): Alarm | undefined { const id = this.byKey.get(key); return id ? this.alarms.get(id) : undefined; }
  floodState() { return this.flood.flood; }

  list(f: { states?: string[]; priority?: string; zone?: string; includeNormal?: boolean; drill?: boolean } = {}): Alarm[] {
    const out: Alarm[] = [];
    for (const a of this.alarms.values()) {
      if (!f.includeNormal && a.state === 'NORM' && !f.states) continue;
      if (f.states && !f.states.includes(a.state)) continue;
      if (f.priority && a.priority !== f.priority) continue;
      if (f.zone && a.zone !== f.zone) continue;
      if (f.drill !== undefined && a.drill !== f.drill) continue;
      out.push(a);
    }
    return out.sort(isa.compareAlarms);
  }

  private save(a: Alarm, change: string, actor?: AlarmActor, prev?: Alarm): Alarm {
    this.alarms.set(a.id, a);
    this.byKey.set(a.key, a.id);
    const now = this.opts.now();
    this.repos.putDoc('alarm', a.id, a, now).catch((err: Error) => this.log.error({ err, alarm: a.id }, 'alarm write failed'));
    this.bus.emit('alarm', now, { change, alarm: a as unknown as Record<string, unknown>, from: prev?.state ?? null, actor: actor?.username ?? null });
    return a;
  }

  private annunciate(a: Alarm, now: number): Alarm {
    this.kpi.annunciated++;
    const n = { ...a };
    if (n.priority === 'P1') n.reAlarmAt = now + (this.opts.reAlarmMs ?? 300_000);
    // First-out: the first alarm of its zone while no other alarm of that zone is active.
    n.firstOut = Boolean(n.zone) && ![...this.alarms.values()].some((o) => o.id !== n.id && o.zone === n.zone && o.active && isa.isAnnunciated(o.state));
    const r = this.flood.annunciate(now, n.id, () => this.rootCandidate());
    if (r === 'start') {
      this.kpi.floods++;
      const f = this.flood.flood!;
      this.bus.emit('flood', now, { state: 'start', since: f.since, rootId: f.rootId, count: f.count });
    }
    if (this.flood.flood && this.flood.flood.rootId !== n.id) n.groupId = this.flood.flood.rootId;
    return n;
  }

  /**
   * Probable root cause for a flood: the highest-ranked active alarm (class, then priority); among
   * those of that rank, the first-out. A first-out of lower rank (the P2 thermal watch that came
   * before the P1 stage alarm) never heads the group: the operator must see the P1 at the top.
   */
  private rootCandidate(): string {
    const active = [...this.alarms.values()].filter((a) => a.active && isa.isAnnunciated(a.state)).sort(isa.compareAlarms);
    const top = active[0];
    if (!top) return '';
    return (active.find((a) => a.firstOut && a.class === top.class && a.priority === top.priority) ?? top).id;
  }

  /** A server-side condition is on or off (idempotent per key; repeats update count and lastAt). */
  setCondition(spec: RaiseSpec, active: boolean, moreSevere = false): Alarm | undefined {
    const now = this.opts.now();
    let a = this.byKeyGet(spec.key);
    if (!a) {
      if (!active) return undefined;
      a = { id: randomUUID(), key: spec.key, site: spec.site, source: 'server', type: spec.type, message: spec.message, class: spec.class,
        priority: spec.priority, lifeSafety: spec.lifeSafety ?? false, latched: spec.latched ?? false, state: 'NORM', active: false, silenced: false,
        firstOut: false, zone: spec.zone, rack: spec.rack, device: spec.device, count: 0, firstAt: now, lastAt: now, chattering: false,
        owners: spec.owners ?? [], drill: spec.drill ?? false };
    }
    const rawWas = this.raw.get(a.id) ?? a.active;
    this.raw.set(a.id, active);
    const rawActivation = active && !rawWas;
    if (rawActivation) {
      const chattering = this.chatter.activate(a.id, now);
      if (chattering && !a.chattering) { this.kpi.chatterFlags++; a = { ...a, chattering: true }; }
    }
    if (active) this.pendingClear.delete(a.id);
    if (!active && a.active) {
      // Minimum annunciation time and chatter off-delay (FS-26): a return to normal within the
      // chatter window of the activation, or of a chattering alarm, is taken only later.
      const minUntil = (a.activeSince ?? now) + this.minAnnunciationMs;
      if (a.chattering || now < minUntil) {
        if (!this.pendingClear.has(a.id)) this.pendingClear.set(a.id, a.chattering ? Math.max(now + 60_000, minUntil) : minUntil);
        return a;
      }
    }
    if (active === a.active && !moreSevere) {
      if (active) return this.save({ ...a, lastAt: now, message: spec.message, count: a.count + (rawActivation ? 1 : 0) }, 'repeat', undefined, a);
      return a;
    }
    const prev = a;
    // An activation in a zone its fire sequence has isolated is consequential: suppressed by design
    // (tracked, never annunciated) and grouped under the zone's stage alarm (FS-26).
    if (active && !a.active) a = this.suppressIfConsequential(a, now);
    let n = isa.condition({ ...a, message: spec.message }, active, now, moreSevere);
    if (n.state === 'UNACK' && prev.state !== 'UNACK') n = this.annunciate(n, now);
    return this.save(n, active ? 'active' : 'cleared', undefined, prev);
  }

  /**
   * FS-26: a consequential alarm is a server alarm of a device in an isolated zone (the UPS and
   * BMS alarms that follow the power cut), neither P1 nor life-safety, nor a drill's.
   */
  private consequentialOf(a: Alarm): string | null {
    if (a.source !== 'server' || !a.zone || !a.device || a.lifeSafety || a.priority === 'P1' || a.drill) return null;
    return this.isolatedZones.get(`${a.site}/${a.zone}`) ?? null;
  }

  /** The zone's stage alarm (the edge's highest-ranked active alarm there), which consequential alarms are grouped under. */
  private stageAlarmOf(site: string, zone: string): string | undefined {
    return [...this.alarms.values()].filter((x) => x.source === 'edge' && x.site === site && x.zone === zone && x.active).sort(isa.compareAlarms)[0]?.id;
  }

  private suppressIfConsequential(a: Alarm, now: number): Alarm {
    const by = this.consequentialOf(a);
    if (!by || a.state === 'DSUPR' || a.state === 'SHLVD' || a.state === 'OOSRV') return a;
    this.kpi.suppressed++;
    const groupId = this.stageAlarmOf(a.site, a.zone!);
    return { ...isa.suppress(a, by, now), ...(groupId ? { groupId } : {}) };
  }

  /**
   * A zone's fire sequence isolated it (stage ≥ 1, not a drill) or was reset. While isolated, its
   * consequential alarms standing or to come are suppressed by design; after the reset they return
   * to their state by condition (annunciated if still active), so nothing is lost (FS-26).
   */
  setZoneIsolated(site: string, zone: string, isolated: boolean): void {
    const k = `${site}/${zone}`;
    const now = this.opts.now();
    if (isolated) {
      if (this.isolatedZones.has(k)) return;
      const by = `zone-isolated:${k}`;
      this.isolatedZones.set(k, by);
      this.log.info({ site, zone }, 'zone isolated: its consequential device alarms are suppressed by design (FS-26)');
      for (const a of [...this.alarms.values()]) {
        if (a.site !== site || a.zone !== zone || !a.active) continue;
        const n = this.suppressIfConsequential(a, now);
        if (n !== a) this.save(n, 'suppress', undefined, a);
      }
      return;
    }
    const by = this.isolatedZones.get(k);
    if (!by) return;
    this.isolatedZones.delete(k);
    for (const a of [...this.alarms.values()]) {
      if (a.suppressedBy !== by) continue;
      let n = isa.unsuppress(a, now);
      if (n.groupId) { n = { ...n }; delete n.groupId; }
      if (n.state === 'UNACK') n = this.annunciate(n, now);
      this.save(n, 'unsuppress', undefined, a);
    }
  }

  private apply(id: string, fn: (a: Alarm) => Alarm, change: string, actor?: AlarmActor): Alarm {
    const a = this.alarms.get(id);
    if (!a) throw new isa.AlarmRefusal(`no alarm '${id}'`, 'invalid_state');
    const n = fn(a);
    return this.save(n, change, actor, a);
  }

  ack(id: string, actor: AlarmActor): Alarm { return this.apply(id, (a) => isa.acknowledge(a, actor.username, this.opts.now()), 'ack', actor); }
  reset(id: string, actor: AlarmActor): Alarm { return this.apply(id, (a) => isa.reset(a, this.opts.now()), 'reset', actor); }
  silence(id: string, actor: AlarmActor): Alarm { return this.apply(id, (a) => isa.silence(a, this.opts.now()), 'silence', actor); }
  shelve(id: string, actor: AlarmActor, reason: string, durationMs: number, oneShot = false): Alarm {
    return this.apply(id, (a) => isa.shelve(a, { by: actor.username, role: actor.role, reason, durationMs, oneShot }, this.opts.now()), 'shelve', actor);
  }
  unshelve(id: string, actor?: AlarmActor): Alarm { return this.apply(id, (a) => isa.unshelve(a, this.opts.now()), 'unshelve', actor); }
  outOfService(id: string, actor: AlarmActor, permitId: string, until?: number): Alarm {
    return this.apply(id, (a) => isa.outOfService(a, { permitId, by: actor.username, until }, this.opts.now()), 'oos', actor);
  }
  returnToService(id: string, actor?: AlarmActor): Alarm { return this.apply(id, (a) => isa.returnToService(a, this.opts.now()), 'in-service', actor); }
  suppress(id: string, by: string): Alarm { return this.apply(id, (a) => isa.suppress(a, by, this.opts.now()), 'suppress'); }
  unsuppress(id: string): Alarm { return this.apply(id, (a) => isa.unsuppress(a, this.opts.now()), 'unsuppress'); }

  /** Check an action against the model without applying it (used before commanding the edge). */
  precheck(id: string, fn: (a: Alarm) => Alarm): void {
    const a = this.alarms.get(id);
    if (!a) throw new isa.AlarmRefusal(`no alarm '${id}'`, 'invalid_state');
    fn(a);
  }

  /** Mirror an edge alarm exactly as reported (the edge is the authority); unchanged reports are ignored. */
  mirror(a: Alarm): Alarm {
    const prev = this.alarms.get(a.id);
    if (prev && prev.state === a.state && prev.active === a.active && prev.priority === a.priority && prev.message === a.message && prev.count === a.count && prev.chattering === a.chattering) return prev;
    const now = this.opts.now();
    let n = a;
    this.kpi.mirrored++;
    // The edge does not announce again a trouble or supervisory alarm that comes back while still
    // unacknowledged (RTNUN → UNACK, FS-26): neither does its mirror (no count, no flood stamp).
    const quietReturn = prev?.state === 'RTNUN' && n.state === 'UNACK' && n.priority !== 'P1' && n.class !== 'alarm' && !n.lifeSafety;
    if (n.state === 'UNACK' && prev?.state !== 'UNACK' && !quietReturn) {
      this.kpi.annunciated++;
      n = { ...n, firstOut: n.firstOut || (Boolean(n.zone) && ![...this.alarms.values()].some((o) => o.id !== n.id && o.zone === n.zone && o.active && isa.isAnnunciated(o.state))) };
      const r = this.flood.annunciate(now, n.id, () => this.rootCandidate());
      if (r === 'start') { this.kpi.floods++; const f = this.flood.flood!; this.bus.emit('flood', now, { state: 'start', since: f.since, rootId: f.rootId, count: f.count }); }
      if (this.flood.flood && this.flood.flood.rootId !== n.id) n = { ...n, groupId: this.flood.flood.rootId };
      if (n.priority === 'P1') n = { ...n, reAlarmAt: now + (this.opts.reAlarmMs ?? 300_000) };
    } else if (prev?.reAlarmAt !== undefined && isa.isUnacked(n.state)) n = { ...n, reAlarmAt: prev.reAlarmAt };
    if (!isa.isUnacked(n.state)) { n = { ...n }; delete n.reAlarmAt; }
    return this.save(n, 'mirror', undefined, prev);
  }

  /** Every edge alarm of one agent and zone (for state-document reconciliation). */
  edgeAlarms(site: string, agent: string, zone: string): Alarm[] {
    return [...this.alarms.values()].filter((a) => a.source === 'edge' && a.site === site && a.agent === agent && a.zone === zone);
  }

  setIncident(id: string, incidentId: string): void {
    const a = this.alarms.get(id);
    if (a && a.incidentId !== incidentId) this.save({ ...a, incidentId }, 'linked');
  }

  /** Timers: shelve and permit expiry, chatter off-delay, P1 re-alarm, flood end. Call at least every second. */
  tick(): void {
    const now = this.opts.now();
    for (const a of [...this.alarms.values()]) {
      if (a.state === 'SHLVD' && a.shelve && a.shelve.until <= now) {
        this.save((() => { const n = isa.unshelve(a, now); return n.state === 'UNACK' ? this.annunciate(n, now) : n; })(), 'shelve-expired', undefined, a);
        continue;
      }
      if (a.state === 'OOSRV' && a.oos?.until !== undefined && a.oos.until <= now && a.source === 'server') {
        this.save(isa.returnToService(a, now), 'oos-expired', undefined, a);
        continue;
      }
      if (a.reAlarmAt !== undefined && a.reAlarmAt <= now && isa.isUnacked(a.state)) {
        this.save({ ...a, silenced: false, reAlarmAt: now + (this.opts.reAlarmMs ?? 300_000), lastAt: now }, 'realarm', undefined, a);
      }
    }
    for (const [id, due] of [...this.pendingClear]) {
      if (due > now) continue;
      this.pendingClear.delete(id);
      const a = this.alarms.get(id);
      if (a?.active) this.save(isa.condition(a, false, now), 'cleared', undefined, a);
    }
    for (const a of this.alarms.values()) {
      if (a.chattering && !this.chatter.recent(a.id, now) && !this.pendingClear.has(a.id)) this.save({ ...a, chattering: false }, 'chatter-end', undefined, a);
    }
    const ended = this.flood.tick(now);
    if (ended) this.bus.emit('flood', now, { state: 'end', since: ended.since, rootId: ended.rootId, count: ended.count });
  }
}
