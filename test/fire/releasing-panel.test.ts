/**
 * FS-14 The agent can never block the listed hardware. The simulated site wires its releases
 * through a listed releasing panel (hardware-sim panel.enabled, §6.1 Q5 "panel" wiring); the real
 * `dcim agent` runs as a child process against it and is killed with SIGKILL mid-sequence.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fromSim } from '../../agent/config/from-sim.js';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { startAgentChild, type AgentChild } from '../agent/child.js';
import { startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) { try { await c(); } catch { /* keep cleaning */ } } });

/** Sim seconds per wall second: the panel's 20 s delay passes in 5 s. */
const SCALE = 4;

async function site(panel: Record<string, unknown>): Promise<{ sim: SimHandle; start: () => Promise<AgentChild> }> {
  const broker = await startMosquitto();
  cleanup.push(async () => { await broker.stop(); rmSync(broker.dir, { recursive: true, force: true }); });
  const sim = await startSimulator({
    opcuaEnabled: false, timeScale: SCALE,
    config: { zones: 1, racksPerRoom: 2, serverRooms: 1, pduRacks: 1, actuators: { curtainS: 1, hvacS: 1, dampersS: 1 }, panel: { enabled: true, ...panel } },
  });
  cleanup.push(() => sim.stop());
  const dir = mkdtempSync(join(tmpdir(), 'dcim-fs14-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = fromSim(sim.endpoints.filter((e) => e.id === 'fire-br1' || e.id === 'bms-br1'), {
    brokerUrl: broker.url, dataDir: join(dir, 'data'), fire: true, pollGroups: { fast: 100, normal: 500, slow: 5000 },
  }) as { fire: Record<string, unknown> };
  // Panel wiring: the agent's release coil is a request; the panel's own delay comes before the
  // pressure switch, so the discharge feedback deadline covers it (README "Releasing panel").
  cfg.fire = { ...cfg.fire, timings: { onDelayMs: 500, nozzlePreDischargeMs: 1000 }, feedback: { breakerMs: 3000, curtainMs: 10000, dischargeMs: 60000, waterMs: 30000, hvacMs: 30000 } };
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return {
    sim,
    async start() {
      const a = await startAgentChild(file);
      cleanup.push(() => a.kill());
      return a;
    },
  };
}

const nozzleWrites = (sim: SimHandle, rack: number) => sim.sim.writes.list().filter((w) => w.device === 'fire-br1' && w.point === `rack.${rack}.nozzle.release.cmd` && w.value === true);

describe('FS-14 the agent can never block the listed hardware (simulated releasing panel)', () => {
  it('FS-14 SIGKILL the agent during the stage-3 countdown → the panel completes its own sequence; the restarted agent never repeats the discharge', async () => {
    // The panel's own detectors are set out of reach: only the agent's request starts its sequence.
    const { sim, start } = await site({ nozzleDelayS: 20, nozzleDetectorC: 300, gasDetectorC: 400 });
    const agent = await start();
    await sim.injectFault({ kind: 'rack-heat', room: 'BR1', rack: 1, temperatureC: 86 });
    // The agent latches stage 3 and writes its request to the panel; the panel starts counting.
    await waitFor(() => nozzleWrites(sim, 1).length > 0, { what: 'the agent requests the rack 1 nozzle from the panel', timeoutMs: 30_000, intervalMs: 10 });
    await agent.kill();
    const panelAt = sim.truth({ devices: false }).rooms[0]!.panel!.nozzles[0]!;
    expect(panelAt).toMatchObject({ cause: 'agent-request', releasedAtS: null });
    expect(sim.truth({ devices: false }).rooms[0]!.racks[0]!.nozzleDischargedAtS).toBeNull();
    // Nobody is left to write anything: the panel finishes by itself.
    const discharged = await waitFor(() => sim.truth({ devices: false }).rooms[0]!.racks[0]!.nozzleDischargedAtS ?? undefined, { what: 'the panel discharges the rack 1 nozzle with the agent dead', timeoutMs: 30_000 });
    const done = sim.truth({ devices: false }).rooms[0]!.panel!.nozzles[0]!;
    expect(done.releasedAtS! - done.startedAtS).toBeCloseTo(20, 0);
    expect(discharged).toBeGreaterThanOrEqual(done.releasedAtS!);
    expect(sim.truth({ devices: false }).rooms[0]!.panel!.signalling).toBe(false);
    expect(nozzleWrites(sim, 1)).toHaveLength(1);

    // The agent comes back (§2.8): it finds the discharge in the field and never asks for another.
    const again = await start();
    await waitFor(async () => {
      const st = (await (await fetch(`http://127.0.0.1:${again.healthPort}/healthz`)).json()) as { status: string };
      return st.status === 'ok' || st.status === 'degraded';
    }, { what: 'restarted agent healthy', timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 2000));
    // No second request, no second panel sequence.
    expect(nozzleWrites(sim, 1)).toHaveLength(1);
    expect(sim.truth({ devices: false }).rooms[0]!.panel!.nozzles[0]).toMatchObject({ startedAtS: done.startedAtS, releasedAtS: done.releasedAtS });
    await again.stop();
  });

  it('FS-14 with the agent dead the panel still acts: its own detector discharges the hot rack, and the manual station releases the gas through a held abort', async () => {
    const { sim, start } = await site({ nozzleDelayS: 10, confirmS: 1, nozzleDetectorC: 80, gasDetectorC: 400 });
    const agent = await start();
    await agent.kill(); // dead before the fire starts
    await sim.injectFault({ kind: 'rack-heat', room: 'BR1', rack: 2, temperatureC: 88 });
    await waitFor(() => sim.truth({ devices: false }).rooms[0]!.racks[1]!.nozzleDischargedAtS ?? undefined, { what: 'panel detector discharges rack 2', timeoutMs: 30_000 });
    const room = sim.truth({ devices: false }).rooms[0]!;
    expect(room.panel!.nozzles[1]).toMatchObject({ cause: 'panel-detector' });
    expect(room.panel!.nozzles[0]).toBeNull();
    expect(room.racks[0]!.nozzleDischargedAtS).toBeNull();
    expect(room.gasReleasedAtS).toBeNull();
    await sim.injectFault({ kind: 'input', room: 'BR1', input: 'abort', value: true });
    await sim.injectFault({ kind: 'input', room: 'BR1', input: 'manual.release', value: true });
    const gasAt = await waitFor(() => sim.truth({ devices: false }).rooms[0]!.gasReleasedAtS ?? undefined, { what: 'manual release with the agent dead', timeoutMs: 20_000 });
    expect(gasAt).toBeGreaterThan(0);
    expect(sim.sim.writes.list().filter((w) => w.device === 'fire-br1' && w.point === 'room.gas.release.cmd')).toEqual([]);
  });
});
