import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SIM_PROFILES, expandSimProfile, loadSimProfile } from '../../hardware-sim/profiles.js';
import { registerCount } from '../../lib/profile/modbus-schema.js';
import { ProfileParamError, resolveProfileParams } from '../../lib/profile/profile-file.js';

interface VocabEntry { name: string; unit: string; type: string; nut: boolean; description: string }
const vocab = (parse(readFileSync(fileURLToPath(new URL('../../agent/points/vocabulary.yaml', import.meta.url)), 'utf8')) as { names: VocabEntry[] }).names;
const patterns = vocab.map((v) => ({ v, re: new RegExp(`^${v.name.replace(/[.+-]/g, (c) => `\\${c}`).replace(/\\\{|\{[a-z]+\}/g, (m) => (m === '\\{' ? m : '[A-Za-z0-9_-]+'))}$`) }));
const lookup = (name: string) => patterns.find((p) => p.re.test(name))?.v;

describe('simulated device profiles', () => {
  it('every profile loads, expands at the maximum size and has no overlapping registers', () => {
    for (const name of SIM_PROFILES) {
      const p = loadSimProfile(name);
      expect(p.profile).toBe(name);
      const max = Object.fromEntries(Object.entries(p.params ?? {}).map(([k, v]) => [k, v.max ?? v.default]));
      const { points } = expandSimProfile(name, max);
      const used = new Map<string, string>();
      for (const pt of points) {
        const n = pt.table === 'coil' || pt.table === 'discrete' ? 1 : registerCount(pt.type, pt.length);
        for (let a = pt.address; a < pt.address + n; a++) {
          const key = `${pt.table}:${a}`;
          expect(used.get(key), `${name} ${pt.name} overlaps ${used.get(key)} at ${key}`).toBeUndefined();
          used.set(key, pt.name);
        }
      }
    }
  });

  it('names every point (and every status bit) from the vocabulary with the vocabulary unit', () => {
    const unknown: string[] = [];
    for (const name of SIM_PROFILES) {
      const { points } = expandSimProfile(name, {});
      for (const pt of points) {
        for (const n of [pt.name, ...(pt.bits ?? []).map((b) => b.name)]) {
          const v = lookup(n);
          if (!v) { unknown.push(`${name}: ${n}`); continue; }
          if (n === pt.name) expect(pt.unit ?? '', `${name} ${n} unit`).toBe(v.unit);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('expands the BMS to 400 racks x 17 modules over 4 rooms within the address space', () => {
    const { points } = expandSimProfile('sim-bms', { racks: 100, modules: 17 });
    expect(points.length).toBe(2 + 100 * (6 + 17 * 3));
    const last = points.find((p) => p.name === 'rack.100.module.17.voltage')!;
    expect(last.address).toBe(1000 + 99 * 100 + 20 + 16 * 4 + 2);
    expect(last.type).toBe('float32');
  });

  it('checks device parameters against the profile: defaults, bounds, unknown names', () => {
    const bms = loadSimProfile('sim-bms');
    expect(resolveProfileParams(bms, { racks: 3 })).toEqual({ racks: 3, modules: 17 });
    expect(() => resolveProfileParams(bms, { racks: 101 })).toThrow(ProfileParamError);
    expect(() => resolveProfileParams(bms, { rooms: 2 })).toThrow(/unknown parameter 'rooms'/);
    expect(() => resolveProfileParams(bms, { racks: 2.5 })).toThrow(/integer/);
  });

  it('uses a word-swapped order in the meters and 64-bit energy counters', () => {
    const { points } = expandSimProfile('sim-meters');
    const e = points.find((p) => p.name === 'meter.intake.energy')!;
    expect(e).toMatchObject({ order: 'CDAB', type: 'uint64' });
    const ats = expandSimProfile('sim-ats').points.find((p) => p.name === 'feed.a.energy')!;
    expect(ats).toMatchObject({ order: 'ABCD', type: 'int64' });
  });
});
