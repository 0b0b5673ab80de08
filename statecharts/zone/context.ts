/** The zone machine's initial context and the guards, pure functions of context and event. */
import { resolveParams } from '../params.js';
import { rejection } from './commands.js';
import { controlledBelow, nozzlePhase, reheated, waterPhase } from './stages.js';
import type { HumanEvent, ZoneContext, ZoneEvent, ZoneInput } from './types.js';

export class ZoneInputError extends Error {
  constructor(message: string) {
    super(`zone machine input: ${message}`);
    this.name = 'ZoneInputError';
  }
}

export function initialContext(input: ZoneInput): ZoneContext {
  if (!input || typeof input.zone !== 'string' || input.zone === '') throw new ZoneInputError('a zone id is required');
  if (!Array.isArray(input.racks) || input.racks.length === 0 || !input.racks.every((r) => Number.isInteger(r) && r >= 1)) {
    throw new ZoneInputError(`zone ${input.zone}: racks must be a non-empty list of 1-based rack indexes`);
  }
  return {
    zone: input.zone,
    racks: [...input.racks].sort((a, b) => a - b),
    params: resolveParams(input.params),
    now: 0,
    incidentNo: 1,
    seq: 0,
    latched: { s0: null, s1: null, s2: null, s3: null, s4: null, s5: null },
    stage: -1,
    rackStage: {},
    affectedRacks: [],
    deadlines: {},
    actuators: {},
    field: {},
    isolationConfirmed: false,
    crossZoned: false,
    isolationOverride: null,
    checked: { t3: false, t4: false, hold: false },
    water: { latched: false, stoppedAt: null },
    gas: { phase: 'none', manual: null, releasedAt: null },
    fdControl: null,
    handoverReasons: [],
    alarms: {},
    bypasses: {},
    maintenance: null,
    drill: null,
    lockoff: { on: false, permitId: null },
    abortHeld: false,
    patchFired: {},
    thermal: null,
    watchRacks: [],
    reenergizePending: [],
    tankPct: null,
    lflPct: null,
    linkUp: false,
    failures: 0,
  };
}

/** Event time, or for DEADLINE the deadline itself when the timer fired a little early. */
export function eventTime(c: ZoneContext, ev: ZoneEvent): number {
  let t = 'ts' in ev && typeof ev.ts === 'number' && Number.isFinite(ev.ts) ? ev.ts : c.now;
  if (ev.type === 'DEADLINE') {
    const d = c.deadlines[ev.name];
    if (d !== undefined && d > t) t = d;
  }
  return Math.max(c.now, t);
}

const due = (c: ZoneContext, name: string) => c.deadlines[name] !== undefined && c.deadlines[name]! <= c.now;

type G = (a: { context: ZoneContext; event: ZoneEvent }, p: never) => boolean;

export const guards = {
  canRaise: ({ context: c }: { context: ZoneContext }, p: { stage: number }) => c.stage < p.stage && c.fdControl === null,
  stageIs: ({ context: c }: { context: ZoneContext }, p: { stage: number }) => c.stage === p.stage,
  fdControl: ({ context: c }: { context: ZoneContext }) => c.fdControl !== null,
  postWatch: ({ context: c }: { context: ZoneContext }) => c.deadlines.postWatch !== undefined,
  watching: ({ context: c }: { context: ZoneContext }) => c.watchRacks.length > 0,
  cmdOk: ({ context: c, event }: { context: ZoneContext; event: ZoneEvent }) => rejection(c, event as HumanEvent) === null,
  t3Escalate: ({ context: c }: { context: ZoneContext }) =>
    c.stage === 3 && c.fdControl === null && ((due(c, 't3') && !controlledBelow(c, c.params.thresholds.stage1)) || (c.checked.t3 && reheated(c, c.params.thresholds.stage1))),
  t3Check: ({ context: c }: { context: ZoneContext }) => c.stage === 3 && due(c, 't3'),
  waterFailed: ({ context: c }: { context: ZoneContext }) => c.stage === 4 && c.fdControl === null && waterPhase(c) === 'failed',
  t4Escalate: ({ context: c }: { context: ZoneContext }) => {
    if (c.stage !== 4 || c.fdControl !== null) return false;
    const spread = c.thermal?.roomAlarm === true;
    const s3 = c.params.thresholds.stage3;
    return (due(c, 't4') && (spread || !controlledBelow(c, s3))) || (c.checked.t4 && (spread || reheated(c, s3)));
  },
  t4Check: ({ context: c }: { context: ZoneContext }) => c.stage === 4 && due(c, 't4'),
  handoverDue: ({ context: c }: { context: ZoneContext }) => c.fdControl === null && c.handoverReasons.length > 0 && c.stage >= 0,
  maintExpired: ({ context: c }: { context: ZoneContext }) => c.maintenance !== null && c.maintenance.expiresAt <= c.now,
  drillExpired: ({ context: c }: { context: ZoneContext }) => c.drill !== null && c.drill.expiresAt <= c.now,
  hasBypass: ({ context: c }: { context: ZoneContext }) => Object.keys(c.bypasses).length > 0,
  noBypass: ({ context: c }: { context: ZoneContext }) => Object.keys(c.bypasses).length === 0,
  nozzlePhaseIs: ({ context: c }: { context: ZoneContext }, p: { phase: string }) => nozzlePhase(c) === p.phase,
  waterPhaseIs: ({ context: c }: { context: ZoneContext }, p: { phase: string }) => waterPhase(c) === p.phase,
  gasPhaseIs: ({ context: c }: { context: ZoneContext }, p: { phase: string }) => c.gas.phase === p.phase,
} satisfies Record<string, G | ((...a: never[]) => boolean)>;
