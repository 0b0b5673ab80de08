import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../hardware-sim/index.js';
import { run as drillCli } from '../../agent/fire/drill-cli.js';
import { startFireHost } from '../../agent/fire/host.js';
import { MemoryPublisher } from '../../agent/fire/publish.js';
import { fireConfig } from './support/rig.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

const SCALE = 30;

describe('dcim drill against the simulator and a running agent (FS-29 drills, DESIGN drills)', () => {
  it('FS-29 `dcim drill thermal-runaway-fast` prints a timed report: device conditions, agent decisions, commands written and confirmed, true peak; saved as JSON', async () => {
    const sim = await startSimulator({ timeScale: SCALE, opcuaEnabled: false });
    cleanup.push(() => sim.stop());
    const ep = sim.endpoints.find((e) => e.id === 'fire-br1')!;
    const racks = Number(ep.params?.racks ?? 8);
    const dir = mkdtempSync(join(tmpdir(), 'dcim-drill-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const cfg = fireConfig(racks, { feedback: { breakerMs: 20000, curtainMs: 60000, dischargeMs: 30000, waterMs: 60000, hvacMs: 60000 } });
    const host = await startFireHost({
      site: 'sim1', agent: 'edge-1', journalDir: dir, fire: cfg, pollMs: 50, timeScale: SCALE, socket: join(dir, 'fire.sock'),
      devices: [{ id: 'fire-br1', host: ep.host, port: ep.port!, unitId: ep.unitIds?.[0] ?? 1, racks }],
    }, { publisher: new MemoryPublisher() });
    cleanup.push(() => host.stop());
    let out = '';
    const outFile = join(dir, 'drill.json');
    const drill = drillCli(['thermal-runaway-fast', '--sim', sim.controlUrl, '--socket', join(dir, 'fire.sock'), '--room', 'BR1', '--rack', '3', '--max-s', '2400', '--out', outFile], (s) => { out += s; }, (s) => { out += s; });
    // Skip the quiet first minutes of the scenario (the simulator jumps; nothing happens before ~55 °C).
    await new Promise((r) => setTimeout(r, 300));
    sim.advance(330);
    expect(await drill).toBe(0);
    expect(existsSync(outFile)).toBe(true);
    const rep = JSON.parse(readFileSync(outFile, 'utf8')) as { conditions: { condition: string; simS: number }[]; decisions: { stage: number }[]; commands: { point: string; confirmed?: boolean }[]; peak: { temperatureC: number }; finalStage: number };
    const cond = rep.conditions.map((c) => c.condition);
    expect(cond).toContain('probe ≥ 60 °C');
    expect(rep.decisions.some((d) => d.stage >= 1)).toBe(true);
    expect(rep.commands.some((c) => c.point === 'rack.3.breaker.open.cmd' && c.confirmed === true)).toBe(true);
    expect(rep.peak.temperatureC).toBeGreaterThan(60);
    expect(out).toMatch(/true peak temperature: [\d.]+ °C/);
    expect(out).toMatch(/condition at the device/);
    expect(out).toMatch(/agent decision/);
  }, 120_000);
});
