/**
 * Five-state status of every device, agent, room, zone and service (R30), re-evaluated every
 * `evaluateEveryS` (≤ 60 s) and on every change, with propagation over the dependency graph
 * (R31, graph.ts). Own status of a node, in order:
 *   Maintenance  (set by a maintenance permit / API)
 *   Down         agent offline persisting, Unknown persisting ≥ unknownToDownS, or a P1 alarm
 *   Unknown      no data for > 2 × expected interval (or a planned building power cut: reason `planned-cut`, never Down)
 *   Warning      a P2 alarm
 *   Up
 * Owners of nodes that go Down or Warning are notified once per incident (root cause + since).
 */
import type { NodeConfig } from '../config.js';
import type { Bus } from '../stream/bus.js';
import type { Alarm } from '../alarms/isa.js';
import { isAnnunciated } from '../alarms/isa.js';
import { explain, propagate, whatIf, type Effective, type GraphNode, type OwnStatus, type Status } from './graph.js';

export interface StatusEngineOptions {
  now: () => number; evaluateEveryS: number; unknownToDownS: number; defaultIntervalS: number;
  alarms: () => Alarm[];
  notifyOwners: (n: { owner: string; root: string; nodes: string[]; status: Status; reason: string; drill: boolean }) => void;
}

interface NodeData { device?: string; agent?: string; zone?: string; intervalS?: number }

export class StatusEngine {
  readonly nodes = new Map<string, GraphNode>();
  private readonly data = new Map<string, NodeData>();
  private readonly lastSeen = new Map<string, number>();
  private readonly agentOnline = new Map<string, { online: boolean; since: number }>();
  private readonly maintenance = new Map<string, { by: string; reason: string; until?: number }>();
  private eff = new Map<string, Effective>();
  private readonly notified = new Set<string>();
  private readonly started: number;
  plannedCut: { since: number; by: string; reason: string } | null = null;
  evaluations = 0;

  constructor(config: NodeConfig[], private readonly bus: Bus, private readonly opts: StatusEngineOptions) {
    this.started = opts.now();
    for (const n of config) {
      this.nodes.set(n.id, { id: n.id, kind: n.kind, name: n.name, dependsOn: n.dependsOn ?? [], redundancy: n.redundancy ?? 'all', owners: n.owners ?? [],
        impact: n.kind === 'service' ? 'warning' : 'down' });
      this.data.set(n.id, { device: n.device ?? (n.kind === 'device' ? n.id : undefined), agent: n.agent ?? (n.kind === 'agent' ? n.id : undefined), zone: n.zone, intervalS: n.expectedIntervalS });
    }
  }

  /** The node of an agent: a configured `kind: agent` node naming it, else one created with the agent's id. */
  private ensureAgent(agent: string): string {
    for (const [id, d] of this.data) if (d.agent === agent && this.nodes.get(id)?.kind === 'agent') return id;
    if (!this.nodes.has(agent)) {
      this.nodes.set(agent, { id: agent, kind: 'agent', dependsOn: [], redundancy: 'all', owners: [], impact: 'down' });
      this.data.set(agent, { agent });
    }
    return agent;
  }

  /**
   * A device seen on the wire: configured nodes with that device get the agent as an upstream
   * when they name no agent themselves; an unconfigured device becomes a `device` node under its agent.
   */
  private ensureDevice(device: string, agent?: string) {
    const configured = [...this.data.entries()].filter(([, d]) => d.device === device);
    if (configured.length) {
      if (!agent) return;
      for (const [id, d] of configured) {
        const n = this.nodes.get(id)!;
        if (d.agent || n.kind === 'agent') continue;
        const agentNode = this.ensureAgent(agent);
        if (agentNode !== id && !n.dependsOn.includes(agentNode)) n.dependsOn.push(agentNode);
      }
      return;
    }
    const agentNode = agent ? this.ensureAgent(agent) : undefined;
    this.nodes.set(device, { id: device, kind: 'device', dependsOn: agentNode ? [agentNode] : [], redundancy: 'all', owners: [], impact: 'down' });
    this.data.set(device, { device, agent });
  }

  /** Data seen from a device (telemetry); re-evaluates when this could change a status. */
  seen(device: string, agent: string | undefined, ts: number): void {
    const was = this.lastSeen.get(device);
    if (was === undefined) this.ensureDevice(device, agent);
    this.lastSeen.set(device, Math.max(was ?? 0, ts));
    if (agent) this.lastSeen.set(`agent:${agent}`, Math.max(this.lastSeen.get(`agent:${agent}`) ?? 0, ts));
    if (was === undefined || this.opts.now() - was > 2 * this.opts.defaultIntervalS * 1000) this.evaluate();
  }

  agentState(agent: string, online: boolean, ts: number): void {
    this.ensureAgent(agent);
    const prev = this.agentOnline.get(agent);
    if (prev?.online === online) return;
    this.agentOnline.set(agent, { online, since: ts });
    if (online) this.lastSeen.set(`agent:${agent}`, ts);
    this.evaluate();
  }

  setMaintenance(id: string, on: { by: string; reason: string; until?: number } | null): void {
    if (on) this.maintenance.set(id, on); else this.maintenance.delete(id);
    this.evaluate();
  }

  setPlannedCut(cut: { since: number; by: string; reason: string } | null): void { this.plannedCut = cut; this.evaluate(); }

  own = (id: string): OwnStatus => {
    const now = this.opts.now();
    const d = this.data.get(id) ?? {};
    const m = this.maintenance.get(id);
    if (m && (m.until === undefined || m.until > now)) return { status: 'Maintenance', reason: `maintenance by ${m.by}: ${m.reason}`, since: now };
    const downAfter = this.opts.unknownToDownS * 1000;
    const cut = this.plannedCut;
    const stale = (last: number | undefined, intervalS: number, what: string): OwnStatus | null => {
      const limit = 2 * intervalS * 1000;
      const since = (last ?? this.started) + limit;
      if (now - (last ?? this.started) <= limit) return null;
      if (cut) return { status: 'Unknown', reason: 'planned-cut', since: Math.max(since, cut.since) };
      if (now - since >= downAfter) return { status: 'Down', reason: `${what}: no data since ${last ? new Date(last).toISOString() : 'start'} (Unknown persisted)`, since: since + downAfter };
      return { status: 'Unknown', reason: `${what}: no fresh data for more than ${2 * intervalS} s`, since };
    };
    if (d.agent && !d.device) {
      const a = this.agentOnline.get(d.agent);
      if (a && !a.online) {
        if (cut) return { status: 'Unknown', reason: 'planned-cut', since: a.since };
        if (now - a.since >= downAfter) return { status: 'Down', reason: `agent ${d.agent} offline (Unknown persisted)`, since: a.since + downAfter };
        return { status: 'Unknown', reason: `agent ${d.agent} offline`, since: a.since };
      }
      if (!a) { const s = stale(this.lastSeen.get(`agent:${d.agent}`), d.intervalS ?? this.opts.defaultIntervalS, `agent ${d.agent}`); if (s) return s; }
    }
    if (d.device) {
      const a = d.agent ? this.agentOnline.get(d.agent) : undefined;
      if (a && !a.online && this.nodes.get(id)?.kind !== 'agent') {
        return cut ? { status: 'Unknown', reason: 'planned-cut', since: a.since } : { status: 'Unknown', reason: `agent ${d.agent} offline`, since: a.since };
      }
      const s = stale(this.lastSeen.get(d.device), d.intervalS ?? this.opts.defaultIntervalS, `device ${d.device}`);
      if (s) return s;
    }
    let worst: OwnStatus | null = null;
    for (const a of this.opts.alarms()) {
      if (!isAnnunciated(a.state) || a.drill) continue;
      if (!(a.device === id || (d.device && a.device === d.device) || (a.zone && (a.zone === id || a.zone === d.zone) && !a.device) || (a.zone === id))) continue;
      if (a.priority === 'P1') return { status: 'Down', reason: `P1 alarm: ${a.message}`, since: a.activeSince ?? a.firstAt };
      if (a.priority === 'P2' && !worst) worst = { status: 'Warning', reason: `P2 alarm: ${a.message}`, since: a.activeSince ?? a.firstAt };
    }
    return worst ?? { status: 'Up', reason: 'ok', since: this.started };
  };

  /** Recompute every status; publish changes; notify owners once per incident. */
  evaluate(): void {
    this.evaluations++;
    const now = this.opts.now();
    const next = propagate(this.nodes, this.own, now);
    for (const [id, e] of next) {
      const prev = this.eff.get(id);
      if (prev && prev.status === e.status && prev.reason === e.reason) { next.set(id, prev); continue; }
      this.bus.emit('status', now, { id, kind: this.nodes.get(id)!.kind, status: e.status, reason: e.reason, cause: e.cause ?? null, from: prev?.status ?? null });
    }
    this.eff = next;
    this.notifyOwners(next);
  }

  private notifyOwners(eff: Map<string, Effective>) {
    const byOwner = new Map<string, { root: string; nodes: string[]; status: Status; reason: string }>();
    for (const [id, e] of eff) {
      if (e.status !== 'Down' && e.status !== 'Warning') continue;
      if (e.reason === 'planned-cut') continue;
      const root = e.cause ?? id;
      const rootEff = eff.get(root);
      if (rootEff?.status !== 'Down' && e.status !== 'Down') continue; // Warnings notify only when a Down causes them
      const incidentKey = `${root}@${rootEff?.since ?? e.since}`;
      for (const owner of this.nodes.get(id)!.owners) {
        const k = `${owner}|${incidentKey}`;
        if (this.notified.has(k)) continue;
        const cur = byOwner.get(k) ?? { root, nodes: [], status: e.status, reason: `${root} ${rootEff?.status ?? e.status}: ${rootEff?.reason ?? e.reason}` };
        cur.nodes.push(id);
        byOwner.set(k, cur);
      }
    }
    for (const [k, v] of byOwner) {
      this.notified.add(k);
      this.opts.notifyOwners({ owner: k.split('|')[0]!, ...v, drill: false });
    }
  }

  list(): { id: string; kind: string; name?: string; status: Status; reason: string; cause: string | null; since: number; owners: string[]; dependsOn: string[] }[] {
    return [...this.nodes.values()].map((n) => {
      const e = this.eff.get(n.id) ?? { status: 'Unknown' as Status, reason: 'not evaluated yet', since: this.started };
      return { id: n.id, kind: n.kind, name: n.name, status: e.status, reason: e.reason, cause: e.cause ?? null, since: e.since, owners: n.owners, dependsOn: n.dependsOn };
    }).sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string) { return this.list().find((n) => n.id === id); }
  whatIf(id: string) { return whatIf(this.nodes, this.own, id, this.opts.now()); }
  explain(id: string) { return explain(this.nodes, this.own, this.eff, id); }
}
