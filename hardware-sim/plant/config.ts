/**
 * Configuration of the simulated chiller plant (2 chillers, chilled-water loops A and B, a
 * stratified buffer tank). Plain typed objects with documented defaults, and a TypeBox schema
 * so the site YAML can carry any subset of it (every key optional; unknown keys are errors).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Water density, kg/m³ (fixed: the ride-through truth is computed with it). */
export const WATER_DENSITY_KG_PER_M3 = 1000;
/** Specific heat of water, kJ/(kg·K). */
export const WATER_SPECIFIC_HEAT_KJ_PER_KG_K = 4.186;

export const LOOP_IDS = ['A', 'B'] as const;
export type LoopId = (typeof LOOP_IDS)[number];

export interface ChillerConfig {
  /** Rated cooling capacity, kW (thermal). */
  capacityKw: number;
  /** Evaporator (primary) chilled-water flow while the chiller runs or starts, L/s. */
  flowLps: number;
  /** Leaving chilled-water setpoint, °C. */
  supplySetpointC: number;
  /** COP at full load (cooling kW / compressor kW); part load follows copCurve(). */
  copNominal: number;
  /** Controls, oil heater and evaporator pump while running or starting, kW. */
  auxKw: number;
  /** Time from a start command (or restore after a trip) until cooling resumes, s. */
  restartDelayS: number;
  /** Initially commanded to run. */
  running: boolean;
}

export interface LoopConfig {
  /** Flow with the valve fully open, L/s. */
  nominalFlowLps: number;
  /** Initial valve position, % open. */
  valveOpenPct: number;
  /** Pump electrical power at nominal flow, kW (affinity law: ∝ (flow/nominal)³). */
  pumpKwAtNominal: number;
  /** Highest water temperature rise the loop's coils can reach; heat beyond it stays in the rooms, K. */
  maxDeltaTK: number;
}

export interface TankConfig {
  /** Water volume, m³ (mass = volume × 1000 kg/m³). */
  volumeM3: number;
  /** Geometric capacity, m³ (level % = volume / capacity). */
  capacityM3: number;
  /** Number of stratified layers (1 = fully mixed). Layer 1 is the bottom. */
  layers: number;
  /** Initial temperature of every layer, °C. */
  initialTemperatureC: number;
  /** Exchange between adjacent layers (turbulent mixing, conduction), kg/s each way. */
  mixingKgPerS: number;
  /** Heat gained from the surroundings through the shell, kW. */
  ambientGainKw: number;
}

export interface PlantConfig {
  chillers: ChillerConfig[];
  loops: Record<LoopId, LoopConfig>;
  tank: TankConfig;
}

export const DEFAULT_CHILLER: ChillerConfig = {
  capacityKw: 2500,
  flowLps: 130,
  supplySetpointC: 12,
  copNominal: 5.5,
  auxKw: 20,
  restartDelayS: 300,
  running: true,
};

export const DEFAULT_LOOP: LoopConfig = {
  nominalFlowLps: 60,
  valveOpenPct: 100,
  pumpKwAtNominal: 15,
  maxDeltaTK: 15,
};

export const DEFAULT_TANK: TankConfig = {
  volumeM3: 500,
  capacityM3: 520,
  layers: 4,
  initialTemperatureC: 12,
  mixingKgPerS: 20,
  ambientGainKw: 0,
};

export const DEFAULT_PLANT_CONFIG: PlantConfig = {
  chillers: [{ ...DEFAULT_CHILLER }, { ...DEFAULT_CHILLER }],
  loops: { A: { ...DEFAULT_LOOP }, B: { ...DEFAULT_LOOP } },
  tank: { ...DEFAULT_TANK },
};

const num = (description: string, opts: { minimum?: number; maximum?: number; exclusiveMinimum?: number } = {}) =>
  Type.Optional(Type.Number({ description, ...opts }));

export const ChillerConfigSchema = Type.Object(
  {
    capacityKw: num('rated cooling capacity, kW (default 2500)', { exclusiveMinimum: 0 }),
    flowLps: num('evaporator flow, L/s (default 130)', { exclusiveMinimum: 0 }),
    supplySetpointC: num('leaving chilled-water setpoint, °C (default 12)', { minimum: 0, maximum: 30 }),
    copNominal: num('full-load COP (default 5.5)', { exclusiveMinimum: 0 }),
    auxKw: num('auxiliary power while running or starting, kW (default 20)', { minimum: 0 }),
    restartDelayS: num('start/restore to cooling, s (default 300)', { minimum: 0 }),
    running: Type.Optional(Type.Boolean({ description: 'initially commanded to run (default true)' })),
  },
  { additionalProperties: false },
);

export const LoopConfigSchema = Type.Object(
  {
    nominalFlowLps: num('flow with the valve fully open, L/s (default 60)', { exclusiveMinimum: 0 }),
    valveOpenPct: num('initial valve position, % (default 100)', { minimum: 0, maximum: 100 }),
    pumpKwAtNominal: num('pump power at nominal flow, kW (default 15)', { minimum: 0 }),
    maxDeltaTK: num('largest supply→return rise the coils reach, K (default 15)', { exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
);

export const TankConfigSchema = Type.Object(
  {
    volumeM3: num('water volume, m³ (default 500)', { exclusiveMinimum: 0 }),
    capacityM3: num('geometric capacity, m³ (default 520)', { exclusiveMinimum: 0 }),
    layers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'stratified layers, 1 = mixed (default 4)' })),
    initialTemperatureC: num('initial temperature, °C (default 12)', { minimum: 0, maximum: 60 }),
    mixingKgPerS: num('exchange between adjacent layers, kg/s (default 20)', { minimum: 0 }),
    ambientGainKw: num('heat gain through the shell, kW (default 0)', { minimum: 0 }),
  },
  { additionalProperties: false },
);

export const PlantConfigSchema = Type.Object(
  {
    chillers: Type.Optional(Type.Array(ChillerConfigSchema, { minItems: 1, maxItems: 8, description: 'one entry per chiller (default 2)' })),
    loops: Type.Optional(Type.Object({ A: Type.Optional(LoopConfigSchema), B: Type.Optional(LoopConfigSchema) }, { additionalProperties: false })),
    tank: Type.Optional(TankConfigSchema),
  },
  { additionalProperties: false, description: 'chiller plant (hardware-sim/plant/README.md)' },
);
export type PlantConfigInput = Static<typeof PlantConfigSchema>;

/** Error for a plant configuration that validates structurally but cannot be simulated. */
export class PlantConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlantConfigError';
  }
}

/** Fill defaults into a (possibly partial) plant config; throws PlantConfigError on impossible values. */
export function resolvePlantConfig(input: PlantConfigInput | Partial<PlantConfig> = {}): PlantConfig {
  if (!Value.Check(PlantConfigSchema, input)) {
    const issues = [...Value.Errors(PlantConfigSchema, input)].slice(0, 5).map((e) => `plant${e.path.replace(/\//g, '.')}: ${e.message}`);
    throw new PlantConfigError(`invalid plant config: ${issues.join('; ')} (see hardware-sim/plant/README.md)`);
  }
  const chillers = (input.chillers ?? DEFAULT_PLANT_CONFIG.chillers).map((c) => ({ ...DEFAULT_CHILLER, ...c }));
  const loops = {
    A: { ...DEFAULT_LOOP, ...(input.loops?.A ?? {}) },
    B: { ...DEFAULT_LOOP, ...(input.loops?.B ?? {}) },
  };
  const tank = { ...DEFAULT_TANK, ...(input.tank ?? {}) };
  if (chillers.length < 1) throw new PlantConfigError('plant.chillers: at least one chiller is needed');
  if (tank.volumeM3 > tank.capacityM3) {
    throw new PlantConfigError(`plant.tank: volumeM3 ${tank.volumeM3} exceeds capacityM3 ${tank.capacityM3}; raise capacityM3`);
  }
  if (!Number.isInteger(tank.layers) || tank.layers < 1) throw new PlantConfigError('plant.tank.layers: must be an integer >= 1');
  for (const [i, c] of chillers.entries()) {
    for (const k of ['capacityKw', 'flowLps', 'copNominal'] as const) {
      if (!(c[k] > 0)) throw new PlantConfigError(`plant.chillers[${i}].${k}: must be > 0`);
    }
  }
  return { chillers, loops, tank };
}
