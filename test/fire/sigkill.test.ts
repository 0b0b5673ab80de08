/**
 * FS-31 / FS-30 / §2.8 against the simulated site: the fire host (a child process) reads and
 * writes hardware-sim's fire-br1 over Modbus TCP and is killed with SIGKILL at 50 points of a
 * thermal runaway (10 per run × 5 runs, one simulator per run, one warm standby child so restarts
 * are quick): right after a command reaches the simulator (between intent and outcome), a little
 * later (feedback seen, outcome maybe not journaled), mid-countdown (10–15 s into a 20 s gas
 * countdown), and at timed points. The runaway is held by simulator `stuck` faults on rack 1's
 * probes (85/86 °C). After every restart and at the end of each run the §2.8 outcome must hold: a
 * stage is never lowered, no discharge is repeated (write log and the simulator's true nozzle and
 * gas valves), no breaker is re-closed (write log and true contacts), a resumed countdown gives
 * ≥ 10 s of warning and re-sounds, and the sequence still completes (nozzles at most once — else a
 * P1 nozzle failure —, water, gas once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJournalFile, type JournalRecord } from '../../agent/fire/journal.js';
import { localRequest } from '../../agent/fire/local-control.js';
import type { FireHostConfig } from '../../agent/fire/host.js';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { waitFor } from '../support/ports.js';
import { HostPool, type HostChild } from './support/child.js';
import { fireConfig } from './support/rig.js';

/** Agent and simulator both run 10× real time. */
const SCALE = 10;
const RACKS = 2;
/** Sim-second actuator delays: at ×10 the same wall delays as the old stand-in plant, so the kill points mean the same. */
const ACTUATORS = { breakerS: 0.6, upstreamBreakerS: 0.6, curtainS: 1.5, nozzleS: 1, sprayS: 1.2, gasS: 1, pumpS: 0.8, hvacS: 0.8, dampersS: 0.8, chargeInhibitS: 0.8 };

/** A kill: after the first write matching `on` (plus `delayMs` real), or `delayMs` after the restart when `on` is absent. */
interface Kill { on?: RegExp; delayMs: number }
const W = (re: string, delayMs: number): Kill => ({ on: new RegExp(`^${re.replace(/\./g, '\\.')}=1$`), delayMs });
const T = (delayMs: number): Kill => ({ delayMs });

const RUNS: Kill[][] = [
  [W('rack.1.breaker.open.cmd', 0), W('rack.1.curtain.down.cmd', 0), W('rack.1.nozzle.release.cmd', 0), T(600), W('rack.1.spray.cmd', 0), T(800), W('room.predischarge.cmd', 1200), W('room.gas.release.cmd', 0), T(500), T(900)],
  [W('rack.1.breaker.open.cmd', 30), W('rack.1.curtain.down.cmd', 40), W('rack.1.nozzle.release.cmd', 30), T(1200), W('rack.1.spray.cmd', 40), W('room.hvac.stop.cmd', 10), W('room.predischarge.cmd', 1000), T(300), W('room.gas.release.cmd', 40), T(700)],
  [W('rack.1.breaker.open.cmd', 150), W('rack.1.nozzle.release.cmd', 150), T(400), T(1500), W('rack.1.spray.cmd', 200), W('room.dampers.close.cmd', 0), W('room.predischarge.cmd', 500), W('room.predischarge.cmd', 1500), W('room.gas.release.cmd', 200), T(1000)],
  [T(100), T(300), T(700), T(1100), T(1500), T(1900), T(2300), T(1700), T(1300), T(900)],
  [W('room.charge.inhibit.cmd', 0), W('rack.1.breaker.open.cmd', 5), W('rack.1.nozzle.release.cmd', 5), W('room.predischarge.cmd', 0), T(2000), W('rack.1.spray.cmd', 5), W('room.predischarge.cmd', 1300), W('room.predischarge.cmd', 1000), W('room.gas.release.cmd', 5), T(2500)],
];

const pool = new HostPool();
beforeAll(() => pool.warm());
afterAll(async () => { await pool.close(); });

let totalKills = 0;

async function state(socket: string): Promise<{ stage: number; fdControl: unknown; recovering: boolean }> {
  const r = await localRequest(socket, 'GET', '/state');
  return (r.body as { zones: { stage: number; fdControl: unknown; recovering: boolean }[] }).zones[0]!;
}

const maxStage = (records: JournalRecord[]) => records.reduce((m, r) => (r.type === 'transition' ? Math.max(m, Number(r.data.stage)) : m), -1);

/** Coil writes the simulator received on fire-br1, in order, as `point=0|1`. */
const writesOf = (sim: SimHandle) => sim.sim.writes.list()
  .filter((w) => w.device === 'fire-br1' && w.point !== undefined)
  .map((w) => `${w.point}=${w.value === true || w.value === 1 ? 1 : 0}`);

/**
 * Watches the simulator's true plant every 20 ms (physics ticks every 50 ms): how often each
 * rack's breaker contacts closed again after opening, and how often the nozzle valves and the
 * gas valve went from closed to discharging.
 */
function watchTruth(sim: SimHandle): { reclosed: number[]; nozzleDischarges: number[]; gasDischarges: number; stop(): void } {
  const w = { reclosed: Array<number>(RACKS).fill(0), nozzleDischarges: Array<number>(RACKS).fill(0), gasDischarges: 0, stop: () => clearInterval(timer) };
  let last: { breaker: boolean[]; nozzle: boolean[]; gas: boolean } | null = null;
  const sample = () => {
    const room = sim.truth({ devices: false }).rooms[0]!;
    const now = { breaker: room.racks.map((r) => r.breaker.active), nozzle: room.racks.map((r) => r.nozzle.active), gas: room.actuators.gas!.active };
    for (let i = 0; i < RACKS; i++) {
      if (last?.breaker[i] && !now.breaker[i]) w.reclosed[i]!++;
      if (!(last?.nozzle[i] ?? false) && now.nozzle[i]) w.nozzleDischarges[i]!++;
    }
    if (!(last?.gas ?? false) && now.gas) w.gasDischarges++;
    last = now;
  };
  sample();
  const timer = setInterval(sample, 20);
  return w;
}

describe('FS-31 SIGKILL of the fire host across a thermal runaway in the simulator (§2.8 recovery)', () => {
  RUNS.forEach((kills, run) => {
    it(`FS-31 run ${run + 1}/${RUNS.length}: ${kills.length} kills → never lowers a stage, never repeats a discharge, never re-closes a breaker, countdown ≥ 10 s, sequence completes`, async () => {
      const sim = await startSimulator({
        opcuaEnabled: false, timeScale: SCALE,
        config: { zones: 1, racksPerRoom: RACKS, serverRooms: 1, pduRacks: 1, actuators: ACTUATORS },
      });
      const fireIo = sim.endpoints.find((e) => e.id === 'fire-br1')!;
      const truth = watchTruth(sim);
      const dir = mkdtempSync(join(tmpdir(), 'dcim-kill-'));
      const cfgFile = join(dir, 'host.json');
      const cfg: FireHostConfig = {
        site: 'sim1', agent: 'edge-1', journalDir: dir, pollMs: 50, timeScale: SCALE, timeAnchor: Date.now(), socket: join(dir, 'fire.sock'),
        fire: fireConfig(RACKS, { timings: { t3Ms: 5000, t4Ms: 5000, gasDelayMs: 20000, gasHoldMs: 5000, nozzlePreDischargeMs: 5000 }, feedback: { breakerMs: 10000, curtainMs: 30000, dischargeMs: 15000, waterMs: 20000, hvacMs: 15000 } }),
        devices: [{ id: 'fire-br1', host: fireIo.host, port: fireIo.port!, racks: RACKS }],
      };
      writeFileSync(cfgFile, JSON.stringify(cfg));
      const journalFile = join(dir, 'zones', 'z1', 'journal.jsonl');
      let child: HostChild | null = null;
      try {
        child = await pool.start(cfgFile);
        let info = await child.ready;
        // The runaway: rack 1's probes held at 85/86 °C by the simulator and kept there (not controlled).
        await sim.injectFault({ kind: 'stuck', device: 'fire-br1', point: 'rack.1.probe.a.temperature', value: 85 });
        await sim.injectFault({ kind: 'stuck', device: 'fire-br1', point: 'rack.1.probe.b.temperature', value: 86 });
        let kills = 0;
        for (const k of RUNS[run]!) {
          const from = writesOf(sim).length;
          if (k.on) {
            await waitFor(() => writesOf(sim).slice(from).some((w) => k.on!.test(w)), { what: `write ${k.on.source}`, timeoutMs: 6000, intervalMs: 2 }).catch(() => null);
          }
          if (k.delayMs) await new Promise((r) => setTimeout(r, k.delayMs));
          await child.kill('SIGKILL');
          kills++;
          const before = maxStage(verifyJournalFile(journalFile).records);
          child = await pool.start(cfgFile);
          info = await child.ready;
          const after = await state(info.socket);
          expect(after.recovering).toBe(false);
          expect(after.stage, `stage after kill ${kills} (was ${before})`).toBeGreaterThanOrEqual(before);
        }
        totalKills += kills;
        // The sequence completes despite the kills: gas released and its pressure switch made in the simulator.
        await waitFor(() => sim.truth({ devices: false }).rooms[0]!.gasPressure, { what: 'gas discharged', timeoutMs: 30_000, intervalMs: 50 });
        await waitFor(async () => (await state(info.socket)).stage >= 5, { what: 'stage 5', timeoutMs: 10_000, intervalMs: 50 });
        await new Promise((r) => setTimeout(r, 300));
        truth.stop();
        const w = writesOf(sim);
        const room = sim.truth({ devices: false }).rooms[0]!;
        // Never a breaker re-closed: no close command, and the true contacts never closed again.
        expect(w.filter((x) => /breaker\.open\.cmd=0$/.test(x)), 'breaker re-closed').toEqual([]);
        expect(truth.reclosed, 'true breaker contacts re-closed (per rack)').toEqual([0, 0]);
        expect(room.racks.map((r) => r.breaker.active), 'breakers open in the simulator').toEqual([true, true]);
        // At most one nozzle release. A kill between the journaled intent and the write leaves no
        // discharge: the runtime never writes a one-shot twice, so the machine's backstop fails it
        // loudly (P1) and escalation continues — never a silent skip, never a double discharge.
        const nozzleWrites = w.filter((x) => x === 'rack.1.nozzle.release.cmd=1').length;
        expect(nozzleWrites, 'nozzle discharges').toBeLessThanOrEqual(1);
        expect(truth.nozzleDischarges, 'true nozzle valve discharges (per rack)').toEqual([nozzleWrites, 0]);
        expect(room.racks[0]!.nozzleDischargedAtS !== null).toBe(nozzleWrites === 1);
        if (nozzleWrites === 0) {
          expect(verifyJournalFile(journalFile).records.some((r) => r.type === 'alarm' && r.data.alarmId === 'actuatorFailed:rack.1.nozzle' && r.data.priority === 1)).toBe(true);
        }
        expect(w.filter((x) => x === 'room.gas.release.cmd=1'), 'gas discharges').toHaveLength(1);
        expect(truth.gasDischarges, 'true gas valve discharges').toBe(1);
        expect(room.gasReleasedAtS).not.toBeNull();
        expect(w.filter((x) => /rack\.2\.nozzle/.test(x)), 'unaffected rack discharged').toEqual([]);
        expect(room.racks[1]!.nozzleDischargedAtS, 'unaffected rack discharged (truth)').toBeNull();
        expect(w).toContain('rack.1.spray.cmd=1');
        expect(room.racks[0]!.spray.active, 'water flowing on rack 1 in the simulator').toBe(true);
        // Countdown: every restart before the release gives it ≥ 10 s of warning, and a restart in the
        // countdown re-sounds the pre-discharge signal before the release.
        const v = verifyJournalFile(journalFile);
        expect(v.problem?.kind ?? 'none').not.toBe('corrupt');
        const recs = v.records;
        const release = recs.find((r) => r.type === 'intent' && r.data.actuator === 'room.gas')!;
        const firstPre = recs.find((r) => r.type === 'intent' && r.data.actuator === 'room.predischarge' && r.data.op === 'on')!;
        expect(release).toBeDefined();
        const restarts = recs.filter((r) => r.type === 'zone.start' && r.seq < release.seq && Number(r.data.journalRecords) > 0);
        for (const rs of restarts) expect(release.ts - rs.ts, `release after restart at seq ${rs.seq}`).toBeGreaterThanOrEqual(10_000);
        for (const rs of restarts.filter((r) => firstPre && r.seq > firstPre.seq)) {
          expect(recs.some((r) => r.type === 'intent' && r.data.actuator === 'room.predischarge' && r.data.op === 'on' && r.seq > rs.seq && r.seq < release.seq), `pre-discharge re-sounded after restart at seq ${rs.seq}`).toBe(true);
        }
        expect(kills).toBe(RUNS[run]!.length);
      } finally {
        truth.stop();
        await child?.kill('SIGKILL');
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 180_000);
  });

  it('FS-31 the suite killed the agent at ≥ 50 points', () => {
    expect(totalKills).toBeGreaterThanOrEqual(50);
  });
});
