/**
 * Incident record (R35): 5 steps, 3 grades (1 = most severe), roles, timestamps. The journal
 * lives in records.journal (append-only). Fire stage → grade mapping is used by automatic
 * declaration from the edge's fire sequence.
 */
export const STEPS = ['detect', 'declared', 'handling', 'closed', 'follow-up'] as const;
export type Step = (typeof STEPS)[number];
export const ROLE_NAMES = ['controlTower', 'operator', 'communicator', 'operationsLead'] as const;
export type IncidentRole = (typeof ROLE_NAMES)[number];

export interface Incident {
  id: string;
  title: string;
  site: string;
  zone?: string;
  grade: 1 | 2 | 3;
  gradeSince: number;
  step: Step;
  source: 'auto' | 'manual';
  drill: boolean;
  roles: Partial<Record<IncidentRole, string>>;
  alarmIds: string[];
  affected: string[];
  fireStage?: string;
  fd: { inControl: boolean; since?: number; by?: string; to?: string };
  powerCut?: { since: number; by: string; reason: string; planned: boolean };
  times: { detect: number; declare?: number; ack?: number; mitigate?: number; resolve?: number; close?: number; followUp?: number };
}

export const FIRE_STAGE_ORDER = ['idle', 'watch', 's0_offGas', 's1', 's2', 's3', 's4', 's5', 'fdControl', 'controlled', 'postIncidentWatch', 'awaitingReset'] as const;

const STAGE_BY_NUMBER = ['s0_offGas', 's1', 's2', 's3', 's4', 's5'];

/** The incident state name inside an xstate state value ({incident: 's1'} or {incident: {s1: ...}}), if any. */
function incidentState(v: unknown): string | null {
  if (!v || typeof v !== 'object') return null;
  const inc = (v as Record<string, unknown>).incident;
  if (typeof inc === 'string') return inc;
  if (inc && typeof inc === 'object') return Object.keys(inc)[0] ?? null;
  return null;
}

/**
 * The fire stage named by a fire.transition event or a state/fire document: `data.handover`
 * → fdControl; the incident region of `data.to` / `doc.state` (xstate value); a stage name
 * string; else `data.stage` as a number (-1 idle/watch, 0..5).
 */
export function stageOf(data: Record<string, unknown> | undefined): string | null {
  if (!data) return null;
  if (data.handover === true) return 'fdControl';
  for (const raw of [incidentState(data.to), incidentState(data.state), typeof data.to === 'string' ? data.to : null, typeof data.state === 'string' ? data.state : null]) {
    if (!raw) continue;
    const s = raw.replace(/^incident\./, '');
    if ((FIRE_STAGE_ORDER as readonly string[]).includes(s)) return s;
    if (s === 's0') return 's0_offGas';
  }
  const n = data.stage;
  if (typeof n === 'number' && Number.isInteger(n)) return n >= 0 && n <= 5 ? STAGE_BY_NUMBER[n]! : n === -1 ? 'idle' : null;
  return null;
}

/** Grade implied by a stage: watch → 3; s0–s2 → 2; s3–s5 and fire-department control → 1; others none. */
export function gradeForStage(stage: string): 1 | 2 | 3 | null {
  if (stage === 'watch') return 3;
  if (stage === 's0_offGas' || stage === 's1' || stage === 's2') return 2;
  if (stage === 's3' || stage === 's4' || stage === 's5' || stage === 'fdControl') return 1;
  return null;
}

export function stageNumber(stage: string | undefined): number {
  if (!stage) return -1;
  const m = /^s(\d)/.exec(stage);
  if (m) return Number(m[1]);
  return stage === 'fdControl' ? 6 : -1;
}

export function nextStepAllowed(from: Step, to: Step): boolean {
  return STEPS.indexOf(to) === STEPS.indexOf(from) + 1 || (from === 'detect' && to === 'handling');
}
