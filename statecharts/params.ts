/**
 * Fire-response parameters as data (FS-36). The first three groups have exactly the keys and
 * defaults of `agent/fire/config-schema.ts` (FireThresholds, FireTimings, FeedbackTimeouts), so a
 * validated site config can be passed straight in; the extra keys are optional and defaulted here
 * (and, where they are site settings, added as optional fields to the schema).
 * `resolveParams(partial)` fills defaults and checks the semantic rules (stage 1 < 2 < 3).
 */

export interface Thresholds {
  /** pre-alarm, one valid channel (°C) — FS-06 */
  watch: number;
  stage1: number;
  stage2: number;
  stage3: number;
  /** a second channel above this corroborates stage 1 (°C) — FS-04 */
  corroboration: number;
  /** voted ≥ this for `patchNoOperateMs` with the patch not fired → supervisory (FS-11) */
  patchNoOperate: number;
  /** FS-20 water-stop criteria: every valid channel below this and non-rising */
  waterStopBelow: number;
}

export interface Timings {
  onDelayMs: number;
  preAlarmClearMs: number;
  deadbandC: number;
  nozzlePreDischargeMs: number;
  t3Ms: number;
  t4Ms: number;
  gasDelayMs: number;
  gasHoldMs: number;
  /** off-gas detector must hold this long to be "confirmed" (FS-05) */
  offGasOnDelayMs: number;
  patchNoOperateMs: number;
  /** FS-20: cool and quiet for this long before water may be stopped */
  waterStopQuietMs: number;
  /** FS-31 step 5: a resumed countdown gives at least this much warning */
  minCountdownWarningMs: number;
  /** FS-16: releasing abort restarts the delay in full (`full`) or with the NYC 2-min rule (`nyc`) */
  abortRestart: 'full' | 'nyc';
  nycAbortDelayMs: number;
  /** FS-22 (minimal): post-incident watch length */
  postIncidentWatchMs: number;
  /** FS-27: maximum bypass duration */
  bypassMaxMs: number;
  /** Grace added to the machine's own feedback backstop beyond the runtime's verification window */
  feedbackGraceMs: number;
}

export interface FeedbackTimeouts {
  breakerMs: number;
  curtainMs: number;
  dischargeMs: number;
  waterMs: number;
  hvacMs: number;
}

export interface Detection {
  /** physical range of temperature channels (°C) — FS-01 */
  rangeMinC: number;
  rangeMaxC: number;
  /** poll period of probes and BMS; staleness limit = min(3 × poll, staleCapMs) */
  pollPeriodMs: number;
  staleCapMs: number;
  cameraStaleMs: number;
  /** FS-02 stuck: moves ≤ stuckBandC for stuckWindowMs while a peer moves > stuckPeerMoveC */
  stuckBandC: number;
  stuckWindowMs: number;
  stuckPeerMoveC: number;
  /** FS-02 drift: |channel − median of peers| > discrepancyC for discrepancyMs */
  discrepancyC: number;
  discrepancyMs: number;
  /** rate of rise (°C/min) for watch (FS-06) and for stage-1 corroboration (FS-05), over rorWindowMs */
  rorWatchCPerMin: number;
  rorStage1CPerMin: number;
  rorWindowMs: number;
}

export interface FireParams {
  thresholds: Thresholds;
  timings: Timings;
  feedback: FeedbackTimeouts;
  detection: Detection;
  /** Q2: gas can be disabled per room */
  gasEnabled: boolean;
}

export const DEFAULT_PARAMS: FireParams = {
  thresholds: { watch: 50, stage1: 60, stage2: 68, stage3: 80, corroboration: 50, patchNoOperate: 75, waterStopBelow: 50 },
  timings: {
    onDelayMs: 2000, preAlarmClearMs: 10000, deadbandC: 2, nozzlePreDischargeMs: 5000, t3Ms: 60000, t4Ms: 900000,
    gasDelayMs: 30000, gasHoldMs: 600000, offGasOnDelayMs: 2000, patchNoOperateMs: 30000, waterStopQuietMs: 1_800_000,
    minCountdownWarningMs: 10000, abortRestart: 'full', nycAbortDelayMs: 120000, postIncidentWatchMs: 86_400_000,
    bypassMaxMs: 4 * 3_600_000, feedbackGraceMs: 1000,
  },
  feedback: { breakerMs: 2000, curtainMs: 30000, dischargeMs: 10000, waterMs: 20000, hvacMs: 15000 },
  detection: {
    rangeMinC: -20, rangeMaxC: 200, pollPeriodMs: 1000, staleCapMs: 5000, cameraStaleMs: 10000,
    stuckBandC: 0.1, stuckWindowMs: 600000, stuckPeerMoveC: 1, discrepancyC: 10, discrepancyMs: 60000,
    rorWatchCPerMin: 1, rorStage1CPerMin: 2, rorWindowMs: 60000,
  },
  gasEnabled: true,
};

export type PartialParams = {
  thresholds?: Partial<Thresholds>;
  timings?: Partial<Timings>;
  feedback?: Partial<FeedbackTimeouts>;
  detection?: Partial<Detection>;
  gasEnabled?: boolean;
};

export class FireParamsError extends Error {
  constructor(message: string) {
    super(`fire parameters: ${message} (fix the zone's fire config)`);
    this.name = 'FireParamsError';
  }
}

/** Fill defaults and check the rules the schema cannot express (FS-36). Throws FireParamsError. */
export function resolveParams(p: PartialParams = {}): FireParams {
  const r: FireParams = {
    thresholds: { ...DEFAULT_PARAMS.thresholds, ...p.thresholds },
    timings: { ...DEFAULT_PARAMS.timings, ...p.timings },
    feedback: { ...DEFAULT_PARAMS.feedback, ...p.feedback },
    detection: { ...DEFAULT_PARAMS.detection, ...p.detection },
    gasEnabled: p.gasEnabled ?? DEFAULT_PARAMS.gasEnabled,
  };
  const t = r.thresholds;
  if (!(t.stage1 < t.stage2 && t.stage2 < t.stage3)) {
    throw new FireParamsError(`thresholds must rise: stage1 ${t.stage1} < stage2 ${t.stage2} < stage3 ${t.stage3}`);
  }
  if (!(t.watch <= t.stage1)) throw new FireParamsError(`thresholds.watch ${t.watch} must be ≤ stage1 ${t.stage1}`);
  if (r.timings.onDelayMs < 0 || r.timings.onDelayMs > 10000) throw new FireParamsError(`timings.onDelayMs ${r.timings.onDelayMs} must be 0..10000`);
  for (const [k, v] of Object.entries(r.feedback)) if (!(v > 0)) throw new FireParamsError(`feedback.${k} must be > 0`);
  if (r.detection.rangeMinC >= r.detection.rangeMaxC) throw new FireParamsError('detection.rangeMinC must be below rangeMaxC');
  return r;
}
