import { describe, expect, it } from 'vitest';
import { Vocabulary, loadVocabulary } from './vocabulary.js';
import { loadProfiles } from '../config/profiles.js';
import { devicePoints } from '../config/points.js';
import { profileParams } from '../config/profile-schema.js';

describe('point-name vocabulary', () => {
  it('matches exact names and placeholders; {rack}/{module} only take 1-based indexes', () => {
    const v = new Vocabulary([
      { name: 'ups.load', unit: '%', type: 'number', nut: true, description: '' },
      { name: 'rack.{rack}.module.{module}.voltage', unit: 'V', type: 'number', nut: false, description: '' },
      { name: 'feed.{feed}.voltage', unit: 'V', type: 'number', nut: false, description: '' },
    ]);
    expect(v.lookup('ups.load')?.nut).toBe(true);
    expect(v.lookup('rack.12.module.3.voltage')).toBeDefined();
    expect(v.lookup('rack.0.module.3.voltage')).toBeUndefined();
    expect(v.lookup('rack.x.module.3.voltage')).toBeUndefined();
    expect(v.lookup('feed.a.voltage')).toBeDefined();
    expect(v.lookup('feed.a.b.voltage')).toBeUndefined();
    expect(v.check({ name: 'ups.load', unit: 'W' })).toEqual([`ups.load: unit 'W', the vocabulary says '%' (ups.load)`]);
    expect(v.check({ name: 'ups.load', unit: '%', type: 'bool' })[0]).toMatch(/boolean point/);
    expect(v.check({ name: 'ups.loads', unit: '%' })[0]).toMatch(/not in the vocabulary/);
  });

  it('every shipped profile in agent/profiles/ uses only listed names, units and types', () => {
    const vocab = loadVocabulary();
    const { profiles, issues } = loadProfiles([], process.cwd());
    expect(issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.path}: ${i.message}`)).toEqual([]);
    expect(profiles.size).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const [id, lp] of profiles) {
      const { values } = profileParams(lp.profile, {});
      // Two of each index is enough to exercise every pattern; keeps the check fast.
      const small = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.min(v, 2)]));
      for (const def of devicePoints(lp.profile, small, 'normal').defs) for (const p of vocab.check(def)) problems.push(`${id}: ${p}`);
    }
    expect(problems).toEqual([]);
  });
});
