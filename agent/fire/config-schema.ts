/**
 * Site configuration of the fire response (FIRE-SAFETY.md): thresholds, delays and timeouts are
 * data with schema bounds (FS-36); semantic checks (stage 1 < stage 2 < stage 3, ≥ 2 channels per
 * voting group) are done after schema validation by `checkFireConfig`.
 */
import { Type, type Static } from '@sinclair/typebox';

const Ms = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description: `${description} (ms)` });

export const FireThresholds = Type.Object(
  {
    watch: Type.Number({ default: 50, minimum: 30, maximum: 100, description: 'pre-alarm, one valid channel (°C)' }),
    stage1: Type.Number({ default: 60, minimum: 40, maximum: 150, description: 'isolate power, drop curtain (°C)' }),
    stage2: Type.Number({ default: 68, minimum: 40, maximum: 150, description: 'extinguishing patch expected (°C)' }),
    stage3: Type.Number({ default: 80, minimum: 40, maximum: 200, description: 'rack nozzles discharge (°C)' }),
    corroboration: Type.Number({ default: 50, minimum: 30, maximum: 100, description: 'second channel above this corroborates stage 1 (°C)' }),
  },
  { additionalProperties: false, default: {} },
);

export const FireTimings = Type.Object(
  {
    onDelayMs: Ms(2000, 0, 10000, 'threshold must hold this long (FS-03)'),
    preAlarmClearMs: Ms(10000, 0, 600000, 'pre-alarm clears below threshold − deadband for this long'),
    deadbandC: Type.Number({ default: 2, minimum: 0, maximum: 10, description: 'pre-alarm clear deadband (°C)' }),
    nozzlePreDischargeMs: Ms(5000, 0, 60000, 'nozzle pre-discharge warning'),
    t3Ms: Ms(60000, 1000, 3600000, 'stage 3 → 4 if not controlled (FS-10)'),
    t4Ms: Ms(900000, 1000, 14400000, 'stage 4 → 5 if not controlled (FS-10)'),
    gasDelayMs: Ms(30000, 10000, 60000, 'pre-discharge delay D5 before gas release (FS-15)'),
    gasHoldMs: Ms(600000, 1000, 7200000, 'agent hold time before hand-over if not controlled'),
    offGasOnDelayMs: Type.Optional(Ms(2000, 0, 10000, 'off-gas detector must hold this long to be confirmed (FS-05)')),
    patchNoOperateMs: Type.Optional(Ms(30000, 1000, 600000, 'voted ≥ 75 °C this long with the patch not fired → supervisory (FS-11)')),
    waterStopQuietMs: Type.Optional(Ms(1800000, 60000, 86400000, 'cool and quiet this long before water may be stopped (FS-20)')),
    abortRestart: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('nyc')], { description: 'releasing abort restarts the delay in full, or with the NYC 2-min rule (FS-16)' })),
    bypassMaxMs: Type.Optional(Ms(14400000, 60000, 14400000, 'longest bypass (FS-27)')),
  },
  { additionalProperties: false, default: {} },
);

export const FeedbackTimeouts = Type.Object(
  {
    breakerMs: Ms(2000, 100, 60000, 'DC breaker/contactor: current < 1 A and aux contact'),
    curtainMs: Ms(30000, 100, 300000, 'curtain down limit switch'),
    dischargeMs: Ms(10000, 100, 120000, 'nozzle or gas discharge pressure switch'),
    waterMs: Ms(20000, 100, 300000, 'water flow switch'),
    hvacMs: Ms(15000, 100, 300000, 'dampers, doors, HVAC stop'),
  },
  { additionalProperties: false, default: {} },
);

/** Signal validation windows of the voter (FS-01, FS-02, FS-05/06); optional, defaults in statecharts/params.ts. */
export const FireDetection = Type.Object(
  {
    staleCapMs: Type.Optional(Ms(5000, 500, 60000, 'staleness cap of probe and BMS readings: min(3 × poll, this) (FS-01)')),
    cameraStaleMs: Type.Optional(Ms(10000, 500, 60000, 'staleness limit of camera readings (FS-01)')),
    stuckWindowMs: Type.Optional(Ms(600000, 1000, 3600000, 'moves ≤ stuckBandC this long while a peer moves → suspect-stuck (FS-02)')),
    stuckBandC: Type.Optional(Type.Number({ default: 0.1, minimum: 0, maximum: 5, description: 'stuck band (°C, FS-02)' })),
    stuckPeerMoveC: Type.Optional(Type.Number({ default: 1, minimum: 0, maximum: 20, description: 'a peer moving more than this makes a flat channel suspect (°C, FS-02)' })),
    discrepancyC: Type.Optional(Type.Number({ default: 10, minimum: 1, maximum: 100, description: '|channel − median of peers| above this is a discrepancy (°C, FS-02)' })),
    discrepancyMs: Type.Optional(Ms(60000, 1000, 3600000, 'a discrepancy held this long raises the trouble (FS-02)')),
    rorWatchCPerMin: Type.Optional(Type.Number({ default: 1, minimum: 0.1, maximum: 60, description: 'rate of rise for watch (°C/min, FS-06)' })),
    rorStage1CPerMin: Type.Optional(Type.Number({ default: 2, minimum: 0.1, maximum: 60, description: 'sustained rate of rise corroborating stage 1 (°C/min, FS-05)' })),
    rorWindowMs: Type.Optional(Ms(60000, 5000, 600000, 'rate-of-rise window (FS-05)')),
  },
  { additionalProperties: false },
);

export const FireZone = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    room: Type.String(),
    /** Device ids (from `devices`) that serve this zone's channels and outputs. */
    fireIo: Type.String({ description: 'fire detection and suppression I/O device' }),
    bms: Type.Optional(Type.String({ description: 'BMS device (a channel, never required nor a veto, FS-07)' })),
    camera: Type.Optional(Type.String({ description: 'thermal camera device' })),
    racks: Type.Integer({ minimum: 1, maximum: 400, description: 'racks in this zone, indexed 1..N in point names' }),
    rackIdPrefix: Type.Optional(Type.String({ description: 'rack ids are prefix + two-digit index, e.g. BR1-R07' })),
    gas: Type.Optional(Type.Object({ enabled: Type.Boolean({ default: true }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const FireLocal = Type.Object(
  {
    socket: Type.Optional(Type.String({ description: 'unix socket of the local control endpoint (default <journalDir>/fire.sock)' })),
    keyFile: Type.Optional(Type.String({ description: 'local key file the `dcim fire` CLI signs with (default <journalDir>/local.key, created 0600)' })),
  },
  { additionalProperties: false, description: 'local commands when the server is gone (FS-32)' },
);

export const FireRecovery = Type.Object(
  {
    minCountdownMs: Ms(10000, 10000, 60000, 'a countdown resumed after a restart gives at least this much warning (FS-31)'),
    fieldReadTimeoutMs: Ms(3000, 100, 5000, 'longest wait for a first complete read of the field before reconciling (FS-31: recovery ≤ 5 s)'),
  },
  { additionalProperties: false, default: {} },
);

export const FireConfig = Type.Object(
  {
    thresholds: FireThresholds,
    timings: FireTimings,
    feedback: FeedbackTimeouts,
    zones: Type.Array(FireZone, { minItems: 1 }),
    journalDir: Type.Optional(Type.String({ description: 'write-ahead journal and snapshots (default <dataDir>/fire)' })),
    /** File holding this agent's command key (shared with the server; first line, hex or text ≥ 16 chars). */
    commandKeyFile: Type.Optional(Type.String({ description: 'per-agent HMAC key file for signed commands (FS-32); relative to the config file' })),
    local: Type.Optional(FireLocal),
    recovery: Type.Optional(FireRecovery),
    detection: Type.Optional(FireDetection),
  },
  { additionalProperties: false },
);
export type FireConfig = Static<typeof FireConfig>;

/**
 * The checks a schema cannot express: thresholds in stage order and unique zone ids. One list for
 * both the agent config loader (agent/config/load.ts) and a runtime change (config-change.ts),
 * each problem with its path in the `fire` section.
 */
export function fireOrderProblems(fire: FireConfig): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const t = fire.thresholds;
  if (!(t.stage1 < t.stage2)) out.push({ path: ['thresholds', 'stage2'], message: `must be above stage1 (${t.stage1} °C)` });
  if (!(t.stage2 < t.stage3)) out.push({ path: ['thresholds', 'stage3'], message: `must be above stage2 (${t.stage2} °C)` });
  if (!(t.watch < t.stage1)) out.push({ path: ['thresholds', 'watch'], message: `must be below stage1 (${t.stage1} °C)` });
  const ids = new Set<string>();
  fire.zones.forEach((z, i) => {
    if (ids.has(z.id)) out.push({ path: ['zones', i, 'id'], message: `duplicate fire zone '${z.id}'` });
    ids.add(z.id);
  });
  return out;
}
