import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { ConfigError, parseConfig } from './load.js';

const Schema = Type.Object({
  site: Type.String(),
  devices: Type.Array(Type.Object({
    id: Type.String(),
    modbus: Type.Object({ unitId: Type.Integer({ minimum: 1, maximum: 247 }) }, { additionalProperties: false }),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

function issues(text: string) {
  try { parseConfig(text, Schema, 'sites/dc1/devices.yaml'); } catch (e) { return (e as ConfigError).issues; }
  throw new Error('expected a ConfigError');
}

describe('config loader', () => {
  it('names file, line, column and key path for an out-of-range value', () => {
    const [i] = issues('site: dc1\ndevices:\n  - id: a\n    modbus:\n      unitId: 300\n');
    expect(i).toMatchObject({ file: 'sites/dc1/devices.yaml', line: 5, col: 15, path: 'devices[0].modbus.unitId', message: 'must be <= 247' });
  });

  it('rejects an unknown key instead of ignoring it, pointing at the key', () => {
    const [i] = issues('site: dc1\ndevices:\n  - id: a\n    modbus: { unitId: 3 }\n    colour: red\n');
    expect(i).toMatchObject({ line: 5, col: 5, path: 'devices[0].colour' });
    expect(i!.message).toMatch(/unknown key/);
  });

  it('reports a missing key and YAML syntax errors with positions', () => {
    expect(issues('devices: []\n')[0]).toMatchObject({ line: 1, path: '', message: "missing required key 'site'" });
    const [syn] = issues('site: dc1\ndevices:\n  - id: [unclosed\n');
    expect(syn!.message).toMatch(/^YAML syntax/);
    expect(syn!.line).toBeGreaterThanOrEqual(3);
  });

  it('formats errors one per line as file:line:col path: message', () => {
    try { parseConfig('site: 1\ndevices: []\n', Schema, 'a.yaml'); } catch (e) {
      expect((e as Error).message).toBe('a.yaml:1:7 site: must be string');
      return;
    }
    throw new Error('expected failure');
  });
});
