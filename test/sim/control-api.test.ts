import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { run } from '../../hardware-sim/cli.js';

let h: SimHandle;
let dir: string;
const api = (path: string, init?: RequestInit) => fetch(`${h.controlUrl}${path}`, init);
const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dcim-sim-'));
  h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: { racksPerRoom: 3, pduRacks: 4 }, writeLogFile: join(dir, 'writes.jsonl') });
});
afterAll(async () => { await h?.stop(); rmSync(dir, { recursive: true, force: true }); });

describe('control API', () => {
  it('GET /endpoints lists every device with its port', async () => {
    const eps = (await (await api('/endpoints')).json()) as { id: string; port: number; protocol: string; unitIds?: number[] }[];
    expect(eps.map((e) => e.id)).toEqual(['ups-z1', 'ups-z2', 'ups-z3', 'ups-z4', 'bms-br1', 'bms-br2', 'bms-br3', 'bms-br4', 'fire-br1', 'fire-br2', 'fire-br3', 'fire-br4', 'ats-1', 'meters-1', 'pdu-gw-1']);
    expect(new Set(eps.map((e) => e.port)).size).toBe(eps.length);
    expect(eps.find((e) => e.id === 'pdu-gw-1')!.unitIds).toEqual([1, 2, 3, 4]);
  });

  it('POST /faults validates, injects and returns an id; DELETE clears it; the truth shows it', async () => {
    const bad = await post('/faults', { kind: 'actuator', room: 'BR1', rack: 2, actuator: 'breaker', mode: 'melted' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/mode/);
    const unknown = await post('/faults', { kind: 'gremlins' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/fault kind must be one of/);
    const noRack = await post('/faults', { kind: 'offgas-only', room: 'BR1', rack: 9 });
    expect(noRack.status).toBe(400);
    const res = await post('/faults', { kind: 'offgas-only', room: 'BR1', rack: 2 });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const truth = (await (await api('/truth')).json()) as { faults: { id: string }[]; rooms: { racks: { offgas: boolean }[] }[]; devices: Record<string, Record<string, unknown>> };
    expect(truth.faults.map((f) => f.id)).toContain(id);
    expect(truth.rooms[0]!.racks[1]!.offgas).toBe(true);
    expect(truth.devices['fire-br1']!['rack.2.offgas']).toBe(true);
    expect((await api(`/faults/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/faults/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect(h.truth().rooms[0]!.racks[1]!.offgas).toBe(false);
  });

  it('starts scenarios by name with a chosen rack; unknown names are 404', async () => {
    expect((await post('/scenarios/no-such-thing/start', {})).status).toBe(404);
    const ok = await post('/scenarios/thermal-runaway-fast/start', { room: 'BR2', rack: 3 });
    expect(ok.status).toBe(200);
    expect((await post('/advance', { seconds: 60 })).status).toBe(200);
    const t = h.truth();
    expect(t.rooms[1]!.racks[2]!.source?.phase).toBe('heating');
    expect(t.rooms[1]!.racks[2]!.temperatureC).toBeGreaterThan(26);
    expect(t.scenarioSteps.map((s) => s.label)).toEqual(['thermal-runaway-fast#0 room charging', 'thermal-runaway-fast#1 runaway starts']);
  });

  it('POST /time-scale checks its input; GET /writes is JSONL, also appended to the file', async () => {
    expect((await post('/time-scale', { timeScale: -1 })).status).toBe(400);
    expect((await post('/time-scale', {})).status).toBe(400);
    expect(await (await post('/time-scale', { timeScale: 0 })).json()).toEqual({ timeScale: 0 });
    const text = await (await api('/writes')).text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { who: string; value: unknown });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatchObject({ who: 'control-api' });
    expect(readFileSync(join(dir, 'writes.jsonl'), 'utf8')).toBe(text);
    expect((await api('/nope')).status).toBe(404);
  });

  it('POST /write writes a point by name like a client and logs it', async () => {
    expect((await post('/write', { device: 'fire-br2', point: 'rack.1.curtain.down.cmd', value: true })).status).toBe(200);
    h.advance(10);
    expect(h.truth().devices['fire-br2']!['rack.1.curtain.down']).toBe(true);
    expect(h.sim.writes.list().at(-1)).toMatchObject({ who: 'control-api', device: 'fire-br2', point: 'rack.1.curtain.down.cmd', value: true });
    expect((await post('/write', { device: 'fire-br2', point: 'rack.1.smoke', value: true })).status).toBe(400);
    expect((await post('/write', { device: 'nope', point: 'x', value: 1 })).status).toBe(404);
  });

  it('re-ignition and spurious re-close are injectable', async () => {
    await h.injectFault({ kind: 'actuator', room: 'BR3', rack: 1, actuator: 'breaker', mode: 'reclose', afterS: 10 });
    h.sim.model.room('BR3').rack(1).breaker.write(true, h.sim.model.now);
    h.advance(1);
    expect(h.truth().rooms[2]!.racks[0]!.breaker).toMatchObject({ active: true, feedback: true });
    h.advance(10);
    expect(h.truth().rooms[2]!.racks[0]!.breaker).toMatchObject({ cmd: true, active: false, feedback: false });
    await h.injectFault({ kind: 'reignite', room: 'BR3', rack: 2, profile: 'slow' });
    h.advance(600);
    expect(h.truth().rooms[2]!.racks[1]!.temperatureC).toBeGreaterThan(25.5);
  });
});

describe('dcim sim', () => {
  it('prints every endpoint and the control URL, and stops cleanly', async () => {
    const cfg = join(dir, 'site.yaml');
    writeFileSync(cfg, 'racksPerRoom: 2\npduRacks: 3\n');
    let out = '';
    let release!: () => void;
    const until = new Promise<void>((r) => { release = r; });
    const p = run(['--config', cfg, '--time-scale', '0'], { out: (s) => { out += s; if (out.includes('control')) release(); }, until });
    expect(await p).toBe(0);
    expect(out).toMatch(/^fire-br1\s+sim-fire-io\s+modbus tcp 127\.0\.0\.1:\d+ unit 1 {2}\(BR1\/z1\)$/m);
    expect(out).toMatch(/^pdu-gw-1\s+sim-pdu\s+modbus tcp 127\.0\.0\.1:\d+ unit 1\.\.3$/m);
    expect(out).toMatch(/^chiller-plant\s+sim-chiller-plant\s+opc\.ua opc\.tcp:\/\/127\.0\.0\.1:\d+/m);
    expect(out).toMatch(/^control\s+http:\/\/127\.0\.0\.1:\d+/m);
    expect(out).toMatch(/simulator stopped/);
  });

  it('rejects bad arguments and bad config with a clear message', async () => {
    let err = '';
    expect(await run(['--time-scale', 'fast'], { err: (s) => { err += s; } })).toBe(2);
    expect(err).toMatch(/--time-scale must be a number/);
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'racksPerRoom: 2\nmodules: 17\n');
    err = '';
    expect(await run(['--config', cfg], { err: (s) => { err += s; } })).toBe(1);
    expect(err).toMatch(/bad\.yaml:2:1 modules: unknown key/);
  });
});
