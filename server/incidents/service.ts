/**
 * Incidents (R35, R36, R41): declared by hand or automatically from the edge's fire sequence
 * (one open incident per fire zone, graded by stage, never downgraded automatically); steps
 * move forward only; grades escalate when recovery overruns its target; the fire-department
 * hand-over and a building power cut are first-class journal events. The journal is
 * append-only: corrections are new entries that reference the corrected one.
 */
import { randomUUID } from 'node:crypto';
import type { Repos, JournalEntry } from '../records/repos.js';
import type { Bus } from '../stream/bus.js';
import type { Logger } from '../../lib/log.js';
import { gradeForStage, nextStepAllowed, type Incident, type IncidentRole, type Step } from './model.js';

export class IncidentError extends Error {
  constructor(message: string, readonly status: 400 | 404 | 409) { super(message); this.name = 'IncidentError'; }
}

export interface IncidentOptions {
  now: () => number;
  recoveryTargetMin: Record<'1' | '2' | '3', number>;
  onGrade?: (i: Incident, why: string) => void;
}

export class IncidentService {
  private readonly incidents = new Map<string, Incident>();
  constructor(private readonly repos: Repos, private readonly bus: Bus, private readonly log: Logger, private readonly o: IncidentOptions) {}

  async load(): Promise<void> { for (const i of await this.repos.getDocs<Incident>('incident')) this.incidents.set(i.id, i); }

  list(f: { open?: boolean; drill?: boolean } = {}): Incident[] {
    return [...this.incidents.values()].filter((i) => (f.open === undefined || f.open === !['closed', 'follow-up'].includes(i.step))
      && (f.drill === undefined || i.drill === f.drill)).sort((a, b) => b.times.detect - a.times.detect);
  }
  get(id: string): Incident | undefined { return this.incidents.get(id); }
  openForZone(site: string, zone: string | undefined): Incident | undefined {
    return this.list({ open: true }).find((i) => i.site === site && i.zone === zone);
  }

  private save(i: Incident, change: string): Incident {
    this.incidents.set(i.id, i);
    this.repos.putDoc('incident', i.id, i, this.o.now()).catch((err: Error) => this.log.error({ err }, 'incident write failed'));
    this.bus.emit('incident', this.o.now(), { change, incident: i as unknown as Record<string, unknown> });
    return i;
  }

  async journal(id: string, author: string, kind: string, text: string, data?: unknown, corrects?: number): Promise<JournalEntry> {
    const i = this.incidents.get(id);
    if (!i) throw new IncidentError(`no incident '${id}'`, 404);
    if (corrects !== undefined) {
      const existing = await this.repos.journal(id);
      if (!existing.some((e) => e.id === corrects)) throw new IncidentError(`journal entry ${corrects} is not in incident ${id}`, 400);
    }
    const e = await this.repos.appendJournal({ incidentId: id, ts: this.o.now(), author, kind, text, corrects: corrects ?? null, data: data ?? null });
    this.bus.emit('incident', e.ts, { change: 'journal', incidentId: id, entry: e as unknown as Record<string, unknown> });
    return e;
  }

  async declare(d: { title: string; site: string; zone?: string; grade: 1 | 2 | 3; by: string; source: 'auto' | 'manual'; drill?: boolean; detectAt?: number; alarmIds?: string[]; step?: Step }): Promise<Incident> {
    const now = this.o.now();
    const i: Incident = { id: randomUUID(), title: d.title, site: d.site, zone: d.zone, grade: d.grade, gradeSince: now, step: d.step ?? 'declared', source: d.source,
      drill: d.drill ?? false, roles: {}, alarmIds: d.alarmIds ?? [], affected: [], fd: { inControl: false },
      times: { detect: d.detectAt ?? now, declare: (d.step ?? 'declared') === 'detect' ? undefined : now } };
    this.save(i, 'declared');
    await this.journal(i.id, d.by, 'declared', `incident declared (grade ${d.grade}, ${d.source}${i.drill ? ', drill' : ''}): ${d.title}`);
    this.o.onGrade?.(i, 'declared');
    return i;
  }

  async setStep(id: string, to: Step, by: string): Promise<Incident> {
    const i = this.mustGet(id);
    if (!nextStepAllowed(i.step, to)) throw new IncidentError(`incident ${id} is '${i.step}': cannot move to '${to}' (steps go detect → declared → handling → closed → follow-up)`, 409);
    const now = this.o.now();
    const times = { ...i.times };
    if (to === 'declared') times.declare = now;
    if (to === 'handling') { times.declare ??= now; }
    if (to === 'closed') { times.close = now; times.resolve ??= now; }
    if (to === 'follow-up') times.followUp = now;
    const n = this.save({ ...i, step: to, times }, 'step');
    await this.journal(id, by, 'step', `step: ${i.step} → ${to}`);
    return n;
  }

  async setGrade(id: string, grade: 1 | 2 | 3, by: string, why: string): Promise<Incident> {
    const i = this.mustGet(id);
    if (i.grade === grade) return i;
    const n = this.save({ ...i, grade, gradeSince: this.o.now() }, 'grade');
    await this.journal(id, by, 'grade', `grade ${i.grade} → ${grade}: ${why}`);
    this.o.onGrade?.(n, why);
    return n;
  }

  async setRoles(id: string, roles: Partial<Record<IncidentRole, string>>, by: string): Promise<Incident> {
    const i = this.mustGet(id);
    const n = this.save({ ...i, roles: { ...i.roles, ...roles } }, 'roles');
    await this.journal(id, by, 'roles', `roles: ${Object.entries(roles).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    return n;
  }

  async linkAlarm(id: string, alarmId: string, ackAt?: number): Promise<void> {
    const i = this.incidents.get(id);
    if (!i) return;
    const times = { ...i.times };
    if (ackAt !== undefined) times.ack ??= ackAt;
    if (!i.alarmIds.includes(alarmId) || times.ack !== i.times.ack) this.save({ ...i, alarmIds: i.alarmIds.includes(alarmId) ? i.alarmIds : [...i.alarmIds, alarmId], times }, 'alarms');
  }

  /** A fire-sequence stage from the edge: open or grade the zone's incident, journal the stage. */
  async fireStage(ev: { site: string; zone?: string; stage: string; ts: number; message: string; agent: string; drill: boolean }): Promise<Incident | undefined> {
    let i = this.openForZone(ev.site, ev.zone);
    const grade = gradeForStage(ev.stage);
    if (!i) {
      if (grade === null) return undefined;
      i = await this.declare({ title: `Battery-room fire sequence in ${ev.zone ?? ev.site}: ${ev.stage}`, site: ev.site, zone: ev.zone, grade, by: `agent:${ev.agent}`,
        source: 'auto', drill: ev.drill, detectAt: ev.ts });
    } else if (grade !== null && grade < i.grade) {
      i = await this.setGrade(i.id, grade, `agent:${ev.agent}`, `fire stage ${ev.stage}`);
    }
    const patch: Partial<Incident> = { fireStage: ev.stage };
    if (ev.stage === 'fdControl' && !i.fd.inControl) patch.fd = { inControl: true, since: ev.ts, by: `agent:${ev.agent}`, to: 'fire department' };
    if (ev.stage === 'controlled') patch.times = { ...i.times, mitigate: i.times.mitigate ?? ev.ts };
    i = this.save({ ...i, ...patch }, 'stage');
    await this.journal(i.id, `agent:${ev.agent}`, 'stage', `fire stage ${ev.stage}: ${ev.message}`, { stage: ev.stage, ts: ev.ts });
    return i;
  }

  /** Fire-department hand-over (to) or take-back (from), recorded with who handed over to whom (R41). */
  async handover(id: string, direction: 'to-fd' | 'from-fd', by: string, counterpart: string, reason: string): Promise<Incident> {
    const i = this.mustGet(id);
    const now = this.o.now();
    const fd = direction === 'to-fd' ? { inControl: true, since: now, by, to: counterpart } : { inControl: false, since: now, by, to: counterpart };
    const n = this.save({ ...i, fd }, 'handover');
    await this.journal(id, by, 'handover', direction === 'to-fd' ? `handed over to the fire department (${counterpart}) by ${by}: ${reason}` : `taken back from the fire department (${counterpart}) by ${by}: ${reason}`, { direction, counterpart });
    return n;
  }

  async powerCut(id: string, by: string, reason: string, planned: boolean): Promise<Incident> {
    const i = this.mustGet(id);
    const n = this.save({ ...i, powerCut: { since: this.o.now(), by, reason, planned } }, 'power-cut');
    await this.journal(id, by, 'power-cut', `building power cut (${planned ? 'planned' : 'unplanned'}) recorded by ${by}: ${reason}`);
    return n;
  }

  /** R36: raise the grade of open incidents whose recovery target has passed. Call periodically. */
  async tick(): Promise<void> {
    const now = this.o.now();
    for (const i of this.list({ open: true })) {
      const target = this.o.recoveryTargetMin[String(i.grade) as '1' | '2' | '3'];
      if (i.grade === 1 || now - i.gradeSince <= target * 60_000) continue;
      await this.setGrade(i.id, (i.grade - 1) as 1 | 2, 'system', `escalated: recovery target ${target} min exceeded`);
    }
  }

  private mustGet(id: string): Incident {
    const i = this.incidents.get(id);
    if (!i) throw new IncidentError(`no incident '${id}'`, 404);
    return i;
  }

  /** KPIs over real incidents only (drills excluded, R40). */
  kpis(): { count: number; open: number; byGrade: Record<string, number>; mttrMin: number | null; drillsExcluded: number } {
    const real = this.list({ drill: false });
    const resolved = real.filter((i) => i.times.resolve !== undefined);
    const mttr = resolved.length ? resolved.reduce((s, i) => s + (i.times.resolve! - i.times.detect), 0) / resolved.length / 60_000 : null;
    const byGrade: Record<string, number> = { '1': 0, '2': 0, '3': 0 };
    for (const i of real) byGrade[String(i.grade)]!++;
    return { count: real.length, open: real.filter((i) => !['closed', 'follow-up'].includes(i.step)).length, byGrade, mttrMin: mttr, drillsExcluded: this.list({ drill: true }).length };
  }
}
