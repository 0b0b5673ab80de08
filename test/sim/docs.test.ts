import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { README, renderReadme, registerMapsMarkdown } from '../../hardware-sim/gen-docs.js';
import { SIM_PROFILES, loadSimProfile } from '../../hardware-sim/profiles.js';
import type { ModbusArray, ModbusPoint } from '../../lib/profile/modbus-schema.js';

const names = (points: ModbusPoint[], arrays: ModbusArray[] = []): string[] =>
  [...points.map((p) => p.name), ...arrays.flatMap((a) => names(a.points, (a.arrays ?? []) as ModbusArray[]))];

describe('hardware-sim README register maps', () => {
  it('are generated from the profiles and up to date (npx tsx hardware-sim/gen-docs.ts)', () => {
    const current = readFileSync(README, 'utf8');
    expect(renderReadme(current)).toBe(current);
  });

  it('have one row per profile point, with the address formula of arrays', () => {
    const md = registerMapsMarkdown();
    for (const name of SIM_PROFILES) {
      const prof = loadSimProfile(name);
      expect(md).toContain(`### ${name}`);
      for (const n of names(prof.modbus.points, (prof.modbus.arrays ?? []) as ModbusArray[])) expect(md, `${name} ${n}`).toContain(`| \`${n}\` |`);
    }
    expect(md).toContain('| `rack.{rack}.module.{module}.voltage` | input register (FC4) | 1022 + 100·(rack − 1) + 4·(module − 1) | float32 | ABCD |');
    expect(md).toContain('| `meter.intake.energy` | input register (FC4) | 2 | uint64 | CDAB |');
  });
});
