/**
 * Site layout and physics parameters of the simulated site (hardware-sim/site.default.yaml).
 * Every key is optional in a user file; defaults fill the rest. Unknown keys are errors.
 */
import { Type, type Static } from '@sinclair/typebox';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../lib/config/load.js';
import { PlantConfigSchema } from './plant/config.js';

const Num = (def: number, description: string, opts: { minimum?: number; maximum?: number } = {}) =>
  Type.Number({ default: def, description: `${description} (default ${def})`, ...opts });
const Int = (def: number, description: string, minimum: number, maximum: number) =>
  Type.Integer({ default: def, minimum, maximum, description: `${description} (default ${def})` });
const Obj = <T extends Parameters<typeof Type.Object>[0]>(props: T, description: string) =>
  Type.Object(props, { additionalProperties: false, default: {}, description });

/** Seconds from a coil change until the physical state changes and its feedback input follows. */
export const ActuatorDelays = Obj({
  breakerS: Num(0.2, 'rack DC breaker trip → aux contact and current', { minimum: 0 }),
  upstreamBreakerS: Num(0.3, 'room upstream breaker', { minimum: 0 }),
  curtainS: Num(10, 'curtain drop → down limit switch', { minimum: 0 }),
  nozzleS: Num(1, 'nozzle valve → discharge pressure switch', { minimum: 0 }),
  sprayS: Num(3, 'spray valve → flow switch', { minimum: 0 }),
  gasS: Num(1, 'gas release → pressure switch', { minimum: 0 }),
  pumpS: Num(2, 'drain pump start → running', { minimum: 0 }),
  hvacS: Num(5, 'HVAC stop → stopped', { minimum: 0 }),
  dampersS: Num(8, 'dampers close → closed', { minimum: 0 }),
  chargeInhibitS: Num(0.5, 'charge inhibit → inhibited', { minimum: 0 }),
}, 'actuator feedback delays, s');

export const ThermalParams = Obj({
  ambientC: Num(25, 'battery-room air temperature, °C'),
  heatCapacityJPerK: Num(60000, 'lumped heat capacity of a rack hot spot, J/K', { minimum: 1 }),
  ambientConductanceWPerK: Num(15, 'loss to room air, W/K', { minimum: 0 }),
  neighbourConductanceWPerK: Num(8, 'coupling to each adjacent rack, W/K (×0.1 with the curtain down)', { minimum: 0 }),
  rackResistanceOhm: Num(0.5, 'rack DC resistance for I²R load heating, Ω', { minimum: 0 }),
  patchTriggerC: Num(68, 'the self-triggering patch fires at this rack temperature, °C'),
  patchConductanceWPerK: Num(150, 'patch agent heat removal while active, W/K'),
  patchDurationS: Num(120, 'patch agent active time, s', { minimum: 0 }),
  patchSourceFactor: Num(0.8, 'runaway heat source × this while the patch agent acts', { minimum: 0, maximum: 1 }),
  nozzleConductanceWPerK: Num(400, 'rack nozzle agent heat removal while discharging, W/K'),
  nozzleDurationS: Num(90, 'nozzle agent discharge time, s', { minimum: 0 }),
  nozzleSourceFactor: Num(0.5, 'runaway heat source × this while the nozzle agent acts', { minimum: 0, maximum: 1 }),
  sprayConductanceWPerK: Num(1200, 'coolant water spray heat removal while flowing, W/K'),
  waterC: Num(15, 'spray water temperature, °C'),
  agentC: Num(0, 'effective sink temperature of patch/nozzle agents (evaporative), °C'),
  gasConductanceWPerK: Num(60, 'room gas heat removal per rack during the hold, W/K'),
  gasSourceFactor: Num(0.9, 'runaway heat source × this during the gas hold (gas does not stop runaway)', { minimum: 0, maximum: 1 }),
  gasHoldS: Num(600, 'gas hold time, s', { minimum: 0 }),
  smokeC: Num(70, 'rack smoke detector alarms at or above this temperature while a source is active, °C'),
}, 'rack thermal model');

/**
 * The listed releasing panel of each battery room (FS-14, FIRE-SAFETY.md §6.1 Q5 "panel" wiring).
 * Disabled (default): the agent's release coils drive the nozzle valves and the gas solenoid
 * directly. Enabled: those coils are *request inputs* of the panel, which also has its own
 * detectors; either starts the panel's own sequence (pre-discharge signals, its own delay,
 * release), which then runs to the end whatever the agent does — only the physical abort holds it,
 * the manual station releases at once, the lock-off blocks it.
 */
export const PanelParams = Obj({
  enabled: Type.Boolean({ default: false, description: 'battery rooms have a releasing panel between the agent and the release solenoids (default false)' }),
  nozzleDetectorC: Num(80, "panel's own rack heat detector: a rack at or above this (held confirmS) starts that rack's nozzle sequence, °C"),
  confirmS: Num(2, 'panel detector confirmation time, s', { minimum: 0 }),
  nozzleDelayS: Num(10, 'panel pre-discharge delay before a rack nozzle releases, s', { minimum: 0, maximum: 60 }),
  gasDetectorC: Num(120, "panel's own cross-zoned gas trigger: room smoke and a rack at or above this, °C"),
  gasDelayS: Num(30, 'panel pre-discharge delay before the room gas releases, s', { minimum: 0, maximum: 60 }),
}, 'releasing panel (FS-14)');

export const PowerParams = Obj({
  feedVoltageV: Num(22900, 'utility feed voltage, V'),
  atsTransferDelayS: Num(3, 'ATS transfer delay after the connected feed is lost, s', { minimum: 0, maximum: 600 }),
  upsRatedW: Num(200000, 'UPS rated output power per zone, W', { minimum: 1 }),
  upsEfficiency: Num(0.96, 'UPS efficiency (input = output / efficiency)', { minimum: 0.5, maximum: 1 }),
  upsOutputVoltageV: Num(230, 'UPS output voltage L-N, V'),
  rackCapacityWh: Num(40000, 'usable energy per battery rack, Wh', { minimum: 1 }),
  rackNominalVoltageV: Num(870.4, 'rack DC voltage at 50 % charge, V (17 × 51.2 V)'),
  chargeRateC: Num(0.25, 'charge power per rack as a fraction of capacity per hour', { minimum: 0 }),
  initialChargePct: Num(100, 'initial battery state of charge, %', { minimum: 0, maximum: 100 }),
  lowBatteryPct: Num(20, 'low-battery threshold, %', { minimum: 0, maximum: 100 }),
  itLoadPerRackW: Num(8000, 'mean IT load per server rack, W (racks vary ±25 % by index)', { minimum: 0 }),
  pduVoltageV: Num(230, 'rack power strip voltage, V'),
  lightingW: Num(20000, 'other facility loads besides UPS losses, W', { minimum: 0 }),
  initialEnergyWh: Num(5000000000, 'initial intake energy counter, Wh (above 2³² so the high words are exercised)', { minimum: 0 }),
}, 'power: feeds, ATS, UPS zones, meters, PDUs');

export const SiteConfig = Type.Object(
  {
    site: Type.String({ default: 'sim1', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    zones: Int(4, 'UPS zones z1..zN, each with battery room BR{n} and UPS room UPS{n}', 1, 8),
    racksPerRoom: Int(8, 'battery racks per battery room (max 400 in total)', 1, 100),
    modulesPerRack: Int(17, 'modules per battery rack', 1, 20),
    serverRooms: Int(2, 'server rooms SR1..SRn', 1, 8),
    pduRacks: Int(20, 'server racks with A/B power strips (gateway unit ids 1..N, split evenly over the server rooms)', 1, 247),
    actuators: ActuatorDelays,
    thermal: ThermalParams,
    panel: PanelParams,
    power: PowerParams,
    /** Chiller plant overrides (hardware-sim/plant/README.md). */
    plant: Type.Optional(PlantConfigSchema),
  },
  { additionalProperties: false },
);
export type SiteConfig = Static<typeof SiteConfig>;

export class SiteConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'SiteConfigError'; }
}

export const DEFAULT_SITE_FILE = fileURLToPath(new URL('./site.default.yaml', import.meta.url));

/** Parse site YAML text (defaults filled, errors name file:line:col key). */
export function parseSiteConfig(text: string, file = 'site.yaml'): SiteConfig {
  const cfg = parseConfig(text.trim() ? text : '{}', SiteConfig, file);
  if (cfg.zones * cfg.racksPerRoom > 400) throw new SiteConfigError(`${file}: zones × racksPerRoom = ${cfg.zones * cfg.racksPerRoom}; at most 400 battery racks`);
  return cfg;
}

/** A site config from a file path, an object (validated the same way) or nothing (defaults file). */
export function resolveSiteConfig(config?: string | Record<string, unknown>): SiteConfig {
  if (config === undefined) return parseSiteConfig(readFileSync(DEFAULT_SITE_FILE, 'utf8'), DEFAULT_SITE_FILE);
  if (typeof config === 'string') {
    let text: string;
    try { text = readFileSync(config, 'utf8'); } catch (err) { throw new SiteConfigError(`${config}: cannot read (${(err as Error).message})`); }
    return parseSiteConfig(text, config);
  }
  return parseSiteConfig(JSON.stringify(config), '(site config object)');
}
