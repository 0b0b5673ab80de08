/**
 * The simulated devices' profiles (agent/profiles/sim-*.yaml): loaded once, expanded per device
 * with its parameters. The simulator serves its truth through exactly these maps.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { expandModbusProfile, type ExpandedPoint } from '../lib/profile/expand.js';
import { loadModbusProfile, resolveProfileParams, type ModbusProfileFile } from '../lib/profile/profile-file.js';

export const SIM_PROFILES = ['sim-ups', 'sim-bms', 'sim-fire-io', 'sim-ats', 'sim-meters', 'sim-pdu'] as const;
export type SimProfileName = (typeof SIM_PROFILES)[number];

export const PROFILES_DIR = fileURLToPath(new URL('../agent/profiles/', import.meta.url));

export function profilePath(name: string): string {
  return join(PROFILES_DIR, `${name}.yaml`);
}

const cache = new Map<string, ModbusProfileFile>();

export function loadSimProfile(name: SimProfileName): ModbusProfileFile {
  let p = cache.get(name);
  if (!p) {
    p = loadModbusProfile(profilePath(name));
    cache.set(name, p);
  }
  return p;
}

/** Expand a profile with a device's parameters (defaults from the profile, bounds checked). */
export function expandSimProfile(name: SimProfileName, params: Record<string, number> = {}): { points: ExpandedPoint[]; params: Record<string, number> } {
  const profile = loadSimProfile(name);
  const resolved = resolveProfileParams(profile, params);
  return { points: expandModbusProfile(profile.modbus, resolved), params: resolved };
}
