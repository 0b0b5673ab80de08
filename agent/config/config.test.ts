import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatIssue } from '../../lib/config/load.js';
import { loadAgentConfig } from './load.js';
import { run } from '../check-config.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dcim-config-'));
  mkdirSync(join(dir, 'vendor'));
  writeFileSync(join(dir, 'vendor', 'acme-ups.yaml'), [
    'profile: acme-ups',
    'description: ACME UPS with a turbo poll group',
    'protocol: modbus',
    'modbus:',
    '  points:',
    '    - { name: ups.load, table: input, address: 0, type: uint16, unit: "%", group: turbo }',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'vendor', 'broken.yaml'), [
    'profile: broken',
    'description: a writable input register',
    'protocol: modbus',
    'modbus:',
    '  points:',
    '    - { name: ups.load, table: input, address: 0, type: uint16, writable: true }',
    '',
  ].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function problems(file: string): string[] {
  try { loadAgentConfig(file); } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const HEAD = 'site: sim1\nagent: edge-1\n';

describe('agent config', () => {
  it('loads the example, applies defaults, merges poll groups and resolves paths', () => {
    const f = write('ok.yaml', `${HEAD}pollGroups: { turbo: 100 }\ndevices:\n  - id: ups-z1\n    profile: sim-ups\n    modbus: { host: 127.0.0.1 }\n`);
    const { config, devices } = loadAgentConfig(f);
    expect(config.pollGroups).toEqual({ fast: 250, normal: 1000, slow: 10000, turbo: 100 });
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.telemetry).toMatchObject({ batchMaxPoints: 1000, heartbeatMs: 60000 });
    expect(devices[0]!.config.modbus).toMatchObject({ port: 502, unitId: 1, timeoutMs: 1000, retries: 1, backoff: { initialMs: 1000, maxMs: 30000 }, workarounds: { maxRegistersPerRequest: 125, maxGap: 16, pauseAfterConnectMs: 0 } });
    expect(devices[0]!.points.find((p) => p.name === 'ups.status.onbattery')).toEqual({ name: 'ups.status.onbattery', type: 'bool' });
    expect(devices[0]!.points.some((p) => p.name === 'ups.status.flags')).toBe(false);
    expect(devices[0]!.modbusPoints!.find((p) => p.name === 'ups.load')!.pollGroup).toBe('fast');
    expect(devices[0]!.modbusPoints!.find((p) => p.name === 'battery.temperature')!.pollGroup).toBe('normal');
  });

  it('names file:line:col and key path for a unit id out of range, an unknown key and a missing key', () => {
    const f = write('bad1.yaml', `${HEAD}devices:\n  - id: ups-z1\n    profile: sim-ups\n    colour: red\n    modbus:\n      host: 127.0.0.1\n      unitId: 300\n  - profile: sim-ups\n    modbus: { host: h }\n`);
    expect(problems(f)).toEqual([
      `${f}:6:5 devices[0].colour: unknown key (not allowed here; check spelling)`,
      `${f}:9:15 devices[0].modbus.unitId: must be <= 247`,
      `${f}:10:5 devices[1]: missing required key 'id'`,
    ]);
  });

  it('a broker password without a user name is a config error naming the key (MQTT sends a password only with a user name)', () => {
    const f = write('bad-broker.yaml', `${HEAD}broker:\n  url: mqtt://127.0.0.1:1883\n  passwordFile: mqtt.pw\ndevices: []\n`);
    expect(problems(f)).toEqual([`${f}:4:3 broker: must have property username when property passwordFile is present`]);
  });

  it('checks what a schema cannot: profile exists, protocol matches, ids unique, poll groups, params', () => {
    const f = write('bad2.yaml', [
      HEAD.trim(),
      'devices:',
      '  - { id: a, profile: sim-upz, modbus: { host: h } }',
      '  - { id: a, profile: sim-ups, pollGroup: sometimes, modbus: { host: h } }',
      '  - { id: b, profile: sim-ups, opcua: { endpoint: "opc.tcp://h:4840" } }',
      '  - { id: c, profile: sim-ups }',
      '  - { id: d, profile: sim-bms, params: { racks: 500, shelves: 2 }, modbus: { host: h } }',
      '',
    ].join('\n'));
    const out = problems(f);
    expect(out[0]).toMatch(new RegExp(`^${f}:4:23 devices\\[0\\].profile: unknown profile 'sim-upz'; known: .*sim-ups`));
    expect(out.slice(1)).toEqual([
      `${f}:5:11 devices[1].id: duplicate device id 'a' (also devices[0])`,
      `${f}:5:43 devices[1].pollGroup: unknown poll group 'sometimes'; defined: fast, normal, slow`,
      `${f}:6:39 devices[2].opcua: profile 'sim-ups' is a modbus profile; give the device a modbus section`,
      `${f}:7:5 devices[3]: a device needs exactly one of modbus, opcua, mqtt`,
      `${f}:8:40 devices[4].params: racks=500 is above 100 (profile sim-bms)`,
      `${f}:8:40 devices[4].params: unknown parameter 'shelves' (profile sim-bms takes racks, modules)`,
    ]);
  });

  it('reads profiles from configured folders; a profile poll group must exist; a bad profile names its own file', () => {
    const f = write('bad3.yaml', `${HEAD}profiles: [vendor, missing-dir]\ndevices:\n  - { id: u, profile: acme-ups, modbus: { host: h } }\n`);
    const out = problems(f);
    expect(out).toContain(`${f}:3:20 profiles[1]: no such profile file or folder: ${join(dir, 'missing-dir')}`);
    expect(out).toContain(`${f}:5:23 devices[0].profile: profile 'acme-ups' uses poll group 'turbo', which pollGroups does not define (fast, normal, slow)`);
    expect(out).toContain(`${join(dir, 'vendor', 'broken.yaml')}:6:75 modbus.points[0].writable: an input register is read-only; only coil and holding points can be writable`);
  });

  it('fire zones must name configured devices, and stages must rise (naming the key)', () => {
    const f = write('bad4.yaml', [
      HEAD.trim(),
      'devices:',
      '  - { id: fire-br1, profile: sim-fire-io, params: { racks: 2 }, modbus: { host: h } }',
      'fire:',
      '  thresholds: { stage1: 70, stage2: 68 }',
      '  zones:',
      '    - { id: z1, room: BR1, fireIo: fire-br1, bms: bms-br9, racks: 2 }',
      '',
    ].join('\n'));
    expect(problems(f)).toEqual([
      `${f}:6:37 fire.thresholds.stage2: must be above stage1 (70 °C)`,
      `${f}:8:51 fire.zones[0].bms: no device 'bms-br9' in devices`,
    ]);
  });
});

describe('dcim check-config', () => {
  it('runs through the dcim command: exit 1 and one line per problem', async () => {
    const { spawnSync } = await import('node:child_process');
    const f = write('cli.yaml', `${HEAD}devices:\n  - { id: a, profile: sim-ups, modbus: { host: h, unitId: 0, port: 70000 } }\n`);
    const r = spawnSync(process.execPath, ['bin/dcim.mjs', 'check-config', f], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${f}:4:59 devices[0].modbus.unitId: must be >= 1`,
      `${f}:4:68 devices[0].modbus.port: must be <= 65535`,
      `2 problems in ${f}`,
    ]);
  }, 30_000);

  it('prints OK with devices, points per device and poll groups; exit 0', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    try {
      expect(await run(['agent/config/examples/sim1.yaml'])).toBe(0);
    } finally { spy.mockRestore(); }
    const text = out.join('');
    expect(text).toMatch(/^OK agent\/config\/examples\/sim1.yaml: site sim1, agent edge-1, 3 devices, \d+ points/);
    expect(text).toContain('poll groups: fast 250 ms, normal 1000 ms, slow 10000 ms');
    expect(text).toMatch(/bms-br1 +modbus sim-bms +\d+ points \(/);
  });

  it('warns (without failing) about point names outside the vocabulary', async () => {
    const { summarise } = await import('../check-config.js');
    const f = write('vocab.yaml', `${HEAD}profiles: [vendor/acme-ups.yaml]\npollGroups: { turbo: 100 }\ndevices:\n  - { id: u, profile: acme-ups, modbus: { host: h } }\n  - { id: v, profile: sim-ups, modbus: { host: h } }\n`);
    const text = summarise(loadAgentConfig(f));
    expect(text).toMatch(/^OK /);
    expect(text).not.toContain('warning');
    writeFileSync(join(dir, 'vendor', 'acme-ups.yaml'), readFileSync(join(dir, 'vendor', 'acme-ups.yaml'), 'utf8').replace('name: ups.load', 'name: ups.loadz'));
    try {
      expect(summarise(loadAgentConfig(f)).split('\n').filter((l) => l.startsWith('warning'))).toEqual([`warning: ${join(dir, 'vendor', 'acme-ups.yaml')}: ups.loadz: not in the vocabulary (agent/points/vocabulary.yaml)`]);
    } finally {
      writeFileSync(join(dir, 'vendor', 'acme-ups.yaml'), readFileSync(join(dir, 'vendor', 'acme-ups.yaml'), 'utf8').replace('name: ups.loadz', 'name: ups.load'));
    }
  });

  it('prints each problem on its own line and exits 1; usage errors exit 2', async () => {
    const f = write('bad5.yaml', `${HEAD}devices:\n  - { id: a, profile: nope, modbus: { host: h, unitId: 0 } }\n`);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await run([f])).toBe(1);
      expect(await run([])).toBe(2);
    } finally { spy.mockRestore(); err.mockRestore(); }
    expect(out.join('').split('\n')).toEqual([`${f}:4:56 devices[0].modbus.unitId: must be >= 1`, `1 problem in ${f}`, '']);
  });
});

describe('shipped samples', () => {
  it('agent/config/examples/sim1.yaml and agent/drivers/modbus/sample.yaml load', () => {
    expect(loadAgentConfig('agent/config/examples/sim1.yaml').devices.map((d) => d.id)).toEqual(['ups-z1', 'bms-br1', 'fire-br1']);
    const sample = loadAgentConfig('agent/drivers/modbus/sample.yaml');
    expect(sample.devices.find((d) => d.id === 'bms-br1')!.points.length).toBe(sample.devices.find((d) => d.id === 'bms-br1')!.modbusPoints!.reduce((n, p) => n + (p.bits?.length ?? 1), 0));
    expect(sample.devices.filter((d) => d.config.modbus!.port === 15030)).toHaveLength(2);
  });
});

describe('fromSim', () => {
  it('builds a config the loader accepts: one device per gateway unit id, fire zones per fire I/O device', async () => {
    const { fromSim } = await import('./from-sim.js');
    const { resolveAgentConfig } = await import('./load.js');
    const obj = fromSim([
      { id: 'ups-z1', protocol: 'modbus', profile: 'sim-ups', host: '127.0.0.1', port: 1502, unitIds: [1], room: 'UPS1', zone: 'z1' },
      { id: 'bms-br1', protocol: 'modbus', profile: 'sim-bms', host: '127.0.0.1', port: 1503, room: 'BR1', zone: 'z1', params: { racks: 2, modules: 3 } },
      { id: 'fire-br1', protocol: 'modbus', profile: 'sim-fire-io', host: '127.0.0.1', port: 1504, room: 'BR1', zone: 'z1', params: { racks: 2 } },
      { id: 'pdu-gw-1', protocol: 'modbus', profile: 'sim-pdu', host: '127.0.0.1', port: 1505, unitIds: [1, 2, 3], room: 'SR1' },
      { id: 'chiller-plant', protocol: 'opcua', profile: 'sim-chiller', host: '127.0.0.1', endpointUrl: 'opc.tcp://127.0.0.1:4840' },
    ], { protocols: ['modbus'], fire: true, modbus: { timeoutMs: 200 } });
    const loaded = resolveAgentConfig(obj);
    expect(loaded.devices.map((d) => d.id)).toEqual(['ups-z1', 'bms-br1', 'fire-br1', 'pdu-gw-1-u1', 'pdu-gw-1-u2', 'pdu-gw-1-u3']);
    expect(loaded.devices[4]!.config.modbus).toMatchObject({ host: '127.0.0.1', port: 1505, unitId: 2, timeoutMs: 200 });
    expect(loaded.devices[1]!.params).toEqual({ racks: 2, modules: 3 });
    expect(loaded.config.fire!.zones).toEqual([{ id: 'z1', room: 'BR1', fireIo: 'fire-br1', bms: 'bms-br1', racks: 2, rackIdPrefix: 'BR1-R' }]);
    expect(loaded.config.fire!.thresholds.stage1).toBe(60);
  });
});

describe('generated reference', () => {
  it('agent/config/README.md is up to date with the schemas (run npx tsx agent/config/gen-docs.ts)', async () => {
    const { readFileSync } = await import('node:fs');
    const { README, renderReadme } = await import('./gen-docs.js');
    const current = readFileSync(README, 'utf8');
    expect(current).toBe(renderReadme(current));
    expect(current).toContain('| `devices[].modbus.unitId` | integer | ');
    const { MODBUS_README, renderModbusReference } = await import('./gen-docs.js');
    const modbus = readFileSync(MODBUS_README, 'utf8');
    expect(modbus).toBe(renderReadme(modbus, renderModbusReference));
  });
});
