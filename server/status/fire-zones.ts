/**
 * Fire-zone states as the edge reports them (the edge is the authority): current stage, who is
 * in control (site or fire department), the latest retained state document, and a bounded
 * timeline of stage transitions, actuations and journal lines per zone. Published on the bus
 * (topic `fire`) for the console.
 */
import type { Bus } from '../stream/bus.js';
import { stageNumber, stageOf } from '../incidents/model.js';

export interface TimelineEntry { ts: number; kind: string; stage?: string; message: string; rack?: string; actor?: string; data?: Record<string, unknown> }
export interface FireZone {
  site: string; zone: string; agent: string; stage: string; since: number; maxStage: number; fdControl: boolean;
  racks: string[]; drill: boolean; state?: Record<string, unknown>; timeline: TimelineEntry[];
}

const TIMELINE_MAX = 500;

export class FireZones {
  private readonly zones = new Map<string, FireZone>();
  /** The newest agent journal sequence applied per zone (site/zone/agent). */
  private readonly lastSeq = new Map<string, { seq: number; ts: number }>();
  constructor(private readonly bus: Bus) {}

  private zone(site: string, zone: string, agent: string): FireZone {
    const k = `${site}/${zone}`;
    let z = this.zones.get(k);
    if (!z) { z = { site, zone, agent, stage: 'idle', since: 0, maxStage: -1, fdControl: false, racks: [], drill: false, timeline: [] }; this.zones.set(k, z); }
    z.agent = agent;
    return z;
  }

  private push(z: FireZone, e: TimelineEntry) {
    z.timeline.push(e);
    if (z.timeline.length > TIMELINE_MAX) z.timeline.splice(0, z.timeline.length - TIMELINE_MAX);
    this.bus.emit('fire', e.ts, { site: z.site, zone: z.zone, agent: z.agent, stage: z.stage, fdControl: z.fdControl, maxStage: z.maxStage, drill: z.drill, racks: z.racks, entry: e as unknown as Record<string, unknown> });
  }

  /** Apply a fire.* event; returns the stage when it was a transition. */
  onEvent(ev: { site: string; agent: string; zone?: string; rack?: string; kind: string; ts: number; message: string; data?: Record<string, unknown>; drill: boolean }): string | null {
    if (!ev.zone) return null;
    const z = this.zone(ev.site, ev.zone, ev.agent);
    if (ev.rack && !z.racks.includes(ev.rack)) z.racks.push(ev.rack);
    if (ev.kind === 'fire.transition') {
      const stage = stageOf(ev.data);
      if (!stage) { this.push(z, { ts: ev.ts, kind: ev.kind, message: ev.message, rack: ev.rack, data: ev.data }); return null; }
      // A transition replayed after a newer one (store-and-forward after an outage arrives through
      // ingest while live events come through the server's own link) is history: it goes on the
      // timeline but never moves the zone's present stage back (the agent's journal sequence orders them).
      // (A journal that starts over after a loss has a lower sequence but later times: it applies.)
      const seq = typeof ev.data?.journalSeq === 'number' ? ev.data.journalSeq : null;
      const key = `${z.site}/${z.zone}/${z.agent}`;
      const last = this.lastSeq.get(key);
      if (seq !== null && last !== undefined && seq < last.seq && ev.ts <= last.ts) {
        this.push(z, { ts: ev.ts, kind: ev.kind, stage, message: ev.message, rack: ev.rack, data: ev.data });
        return null;
      }
      if (seq !== null) this.lastSeq.set(key, { seq, ts: ev.ts });
      z.stage = stage; z.since = ev.ts; z.drill = ev.drill;
      if (stage === 'fdControl') z.fdControl = true;
      if (stage === 'idle') { z.maxStage = -1; z.fdControl = false; z.racks = []; }
      z.maxStage = Math.max(z.maxStage, stageNumber(stage));
      this.push(z, { ts: ev.ts, kind: ev.kind, stage, message: ev.message, rack: ev.rack, data: ev.data });
      return stage;
    }
    if (ev.data?.fdControl === false && z.fdControl && ev.kind === 'fire.journal') z.fdControl = false;
    this.push(z, { ts: ev.ts, kind: ev.kind, message: ev.message, rack: ev.rack, data: ev.data, actor: typeof ev.data?.actor === 'string' ? ev.data.actor : undefined });
    return null;
  }

  /** A retained state document `state/fire/{zone}`. */
  onState(site: string, agent: string, zone: string, doc: Record<string, unknown>, ts: number): void {
    const z = this.zone(site, zone, agent);
    z.state = doc;
    const stage = stageOf(doc);
    if (stage && stage !== z.stage) {
      z.stage = stage; z.since = ts;
      if (stage === 'idle') { z.maxStage = -1; z.racks = []; }
      z.maxStage = Math.max(z.maxStage, stageNumber(stage));
    }
    if ('fdControl' in doc) z.fdControl = doc.fdControl !== null && doc.fdControl !== false && doc.fdControl !== undefined;
    if (typeof doc.stage === 'number' && doc.stage >= 0) z.maxStage = Math.max(z.maxStage, doc.stage);
    this.bus.emit('fire', ts, { site, zone, agent, stage: z.stage, fdControl: z.fdControl, maxStage: z.maxStage, drill: z.drill, racks: z.racks, state: doc });
  }

  /** Record a human action (hand-over, command) on the zone's timeline. */
  note(site: string, zone: string, agent: string, e: TimelineEntry): void { this.push(this.zone(site, zone, agent), e); }

  list(): Omit<FireZone, 'timeline'>[] { return [...this.zones.values()].map(({ timeline: _t, ...rest }) => rest).sort((a, b) => a.zone.localeCompare(b.zone)); }
  get(site: string | undefined, zone: string): FireZone | undefined {
    return [...this.zones.values()].find((z) => z.zone === zone && (!site || z.site === site));
  }
  agentFor(zone: string): { site: string; agent: string } | undefined { const z = this.get(undefined, zone); return z ? { site: z.site, agent: z.agent } : undefined; }
}
