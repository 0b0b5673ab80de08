/**
 * Drills (R40): each run is recorded with its scenario, who ran it, its window and its timed
 * report. While a drill is active for a site (or a zone), alarms, incidents and notifications it
 * produces are tagged `drill` and kept out of KPIs. A drill can be started over the API, by
 * `dcim drill` (POST /api/drills with its report), or by the agent's `drill` events.
 */
import { randomUUID } from 'node:crypto';
import type { Repos } from '../records/repos.js';
import type { Bus } from '../stream/bus.js';

export interface Drill {
  id: string; scenario: string; site: string; zone?: string; by: string; startedAt: number; endedAt?: number;
  state: 'running' | 'ended' | 'aborted'; report?: Record<string, unknown>; externalId?: string;
}

export class DrillError extends Error { constructor(m: string, readonly status: 404 | 409) { super(m); this.name = 'DrillError'; } }

export class DrillService {
  private readonly drills = new Map<string, Drill>();
  constructor(private readonly repos: Repos, private readonly bus: Bus, private readonly now: () => number) {}

  async load(): Promise<void> { for (const d of await this.repos.getDocs<Drill>('drill')) this.drills.set(d.id, d); }

  private save(d: Drill, change: string): Drill {
    this.drills.set(d.id, d);
    void this.repos.putDoc('drill', d.id, d, this.now()).catch(() => undefined);
    this.bus.emit('incident', this.now(), { change: `drill-${change}`, drill: d as unknown as Record<string, unknown> });
    return d;
  }

  start(d: { scenario: string; site: string; zone?: string; by: string; externalId?: string; startedAt?: number }): Drill {
    if (d.externalId) { const ex = [...this.drills.values()].find((x) => x.externalId === d.externalId); if (ex) return ex; }
    return this.save({ id: randomUUID(), scenario: d.scenario, site: d.site, zone: d.zone, by: d.by, startedAt: d.startedAt ?? this.now(), state: 'running', externalId: d.externalId }, 'start');
  }

  end(id: string, report: Record<string, unknown> | undefined, aborted = false): Drill {
    const d = this.drills.get(id) ?? [...this.drills.values()].find((x) => x.externalId === id);
    if (!d) throw new DrillError(`no drill '${id}'`, 404);
    if (d.state !== 'running') throw new DrillError(`drill ${id} already ${d.state}`, 409);
    return this.save({ ...d, state: aborted ? 'aborted' : 'ended', endedAt: this.now(), report: report ?? d.report }, 'end');
  }

  /** Is a drill running that covers this site/zone at time ts? */
  active(site: string, zone?: string, ts = this.now()): Drill | undefined {
    return [...this.drills.values()].find((d) => d.site === site && (!d.zone || !zone || d.zone === zone) && d.startedAt <= ts && (d.endedAt === undefined || d.endedAt >= ts));
  }

  list(): Drill[] { return [...this.drills.values()].sort((a, b) => b.startedAt - a.startedAt); }
  get(id: string): Drill | undefined { return this.drills.get(id); }
}
