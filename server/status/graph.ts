/**
 * Dependency graph and status propagation (R30, R31), pure. A node's own status comes from
 * its data, alarms and maintenance (engine.ts); its effective status combines that with its
 * upstream nodes:
 *   redundancy 'all' (default): any upstream Down → Down ("no remaining supply"), or Warning
 *     when the node's `impact` is 'warning' (services); any upstream Warning/Unknown → Warning.
 *   redundancy 'any': Down only when every upstream is Down; some Down → stays Up (reason names the lost supply).
 */
export const STATUSES = ['Up', 'Warning', 'Down', 'Maintenance', 'Unknown'] as const;
export type Status = (typeof STATUSES)[number];

export interface GraphNode {
  id: string; kind: string; name?: string; dependsOn: string[]; redundancy: 'all' | 'any'; owners: string[];
  impact: 'down' | 'warning';
}

export interface OwnStatus { status: Status; reason: string; since: number }
export interface Effective { status: Status; reason: string; cause?: string; since: number }

/** Topological order (upstream first); cycles are broken and reported. */
export function order(nodes: Map<string, GraphNode>): { order: string[]; cycles: string[] } {
  const seen = new Map<string, 0 | 1 | 2>();
  const out: string[] = [];
  const cycles: string[] = [];
  const visit = (id: string) => {
    const s = seen.get(id);
    if (s === 2) return;
    if (s === 1) { cycles.push(id); return; }
    seen.set(id, 1);
    for (const up of nodes.get(id)?.dependsOn ?? []) if (nodes.has(up)) visit(up);
    seen.set(id, 2);
    out.push(id);
  };
  for (const id of [...nodes.keys()].sort()) visit(id);
  return { order: out, cycles };
}

export function propagate(nodes: Map<string, GraphNode>, own: (id: string) => OwnStatus, now: number): Map<string, Effective> {
  const eff = new Map<string, Effective>();
  for (const id of order(nodes).order) {
    const n = nodes.get(id)!;
    const o = own(id);
    let e: Effective = { status: o.status, reason: o.reason, since: o.since };
    if (o.status === 'Up' || o.status === 'Warning') {
      const ups = n.dependsOn.filter((u) => eff.has(u)).map((u) => ({ id: u, e: eff.get(u)! }));
      const down = ups.filter((u) => u.e.status === 'Down');
      const degraded = ups.filter((u) => u.e.status === 'Warning' || u.e.status === 'Unknown');
      const cause = (u: { id: string; e: Effective }) => u.e.cause ?? u.id;
      if (down.length && (n.redundancy === 'all' || down.length === ups.length)) {
        const status: Status = n.impact === 'warning' ? 'Warning' : 'Down';
        e = { status, reason: `no remaining supply: ${down.map((u) => u.id).join(', ')} Down`, cause: cause(down[0]!), since: Math.max(...down.map((u) => u.e.since)) };
      } else if (down.length) {
        // Redundant supply: still Up (R31), the reason says which supply is lost.
        e = { status: o.status, reason: `redundant supply: ${down.map((u) => u.id).join(', ')} Down, running on the others`, since: o.since };
      } else if (degraded.length && o.status === 'Up') {
        e = { status: 'Warning', reason: `upstream degraded: ${degraded.map((u) => `${u.id} ${u.e.status}`).join(', ')}`, cause: cause(degraded[0]!), since: now };
      }
    }
    eff.set(id, e);
  }
  return eff;
}

/** Every node downstream of `id` (transitively). */
export function dependents(nodes: Map<string, GraphNode>, id: string): string[] {
  const down = new Map<string, string[]>();
  for (const n of nodes.values()) for (const u of n.dependsOn) down.set(u, [...(down.get(u) ?? []), n.id]);
  const out = new Set<string>();
  const stack = [id];
  while (stack.length) for (const d of down.get(stack.pop()!) ?? []) if (!out.has(d)) { out.add(d); stack.push(d); }
  return [...out].sort();
}

/** "What is affected if X fails": propagate with X forced Down; list every node whose status changes. */
export function whatIf(nodes: Map<string, GraphNode>, own: (id: string) => OwnStatus, x: string, now: number) {
  const before = propagate(nodes, own, now);
  const after = propagate(nodes, (id) => (id === x ? { status: 'Down', reason: 'what-if: failed', since: now } : own(id)), now);
  return dependents(nodes, x).map((id) => ({ id, kind: nodes.get(id)!.kind, before: before.get(id)!.status, after: after.get(id)!.status, reason: after.get(id)!.reason }))
    .filter((r) => r.before !== r.after || r.after !== 'Up');
}

/** "Why is Y not Up": its own reason, then the chain of upstream nodes that are not Up. */
export function explain(nodes: Map<string, GraphNode>, own: (id: string) => OwnStatus, eff: Map<string, Effective>, y: string) {
  const chain: { id: string; status: Status; reason: string }[] = [];
  const seen = new Set<string>();
  const walk = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const e = eff.get(id); const o = own(id);
    if (!e) return;
    if (o.status !== 'Up') chain.push({ id, status: o.status, reason: o.reason });
    for (const up of nodes.get(id)?.dependsOn ?? []) if (eff.get(up) && eff.get(up)!.status !== 'Up') walk(up);
  };
  walk(y);
  const e = eff.get(y);
  return { id: y, status: e?.status ?? 'Unknown', reason: e?.reason ?? 'unknown node', rootCauses: chain.filter((c) => c.id !== y || chain.length === 1), chain };
}
