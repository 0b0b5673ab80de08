/**
 * The decision path of bench/fire-latency alone, in process and without sockets, so it can be
 * profiled (`node --cpu-prof`) and compared before/after a change on a busy machine: the fire
 * runtime (4 zones × 100 racks) is fed the points the Modbus link would deliver (same profile,
 * same normaliser) on a simulated clock, and a recording IO port stands for the Modbus write.
 *
 * Per run (fresh journal directory and runtime): two normal polls of every device, then both
 * probes of one rack at 85 °C for two polls (FS-03: the second sample confirms, onDelayMs 0).
 * Measured with performance.now() around the runtime's `ingest` of the confirming batch:
 *   - to command: start of the ingest → the command effect for the rack (voter, machine,
 *     transition journal, snapshot);
 *   - to write call: → the IO port's writePoint for that rack (intent journal + fsync, FS-30);
 *   - ingest total: → the end of the synchronous ingest (a client that sends from a microtask,
 *     as modbus-serial does, could put the command on the wire only then);
 * and the ingest time of one idle poll of every device (4 × 1017 points), of the next poll of the
 * zone in incident, and of a poll of another zone's device that stopped answering (all bad).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Point } from '../../lib/points.js';
import { expandModbusProfile, type ExpandedPoint } from '../../lib/profile/expand.js';
import { loadModbusProfile, resolveProfileParams } from '../../lib/profile/profile-file.js';
import { normalise } from '../../agent/points/normalise.js';
import { FakeTimerHost } from '../../agent/fire/clock.js';
import { DEFAULT_FIRE_PROFILE, validateFireConfig } from '../../agent/fire/host.js';
import { MemoryPublisher } from '../../agent/fire/publish.js';
import { FireRuntime } from '../../agent/fire/runtime.js';
import { statechartZoneMachine } from '../../agent/fire/zone-machine.js';

export interface DecisionLoopResult { toCommand: number[]; toWrite: number[]; ingest: number[]; idlePoll: number[]; incidentPoll: number[]; lostDevice: number[] }

const RAW: Record<string, number | boolean> = { 'room.abort.circuit.ok': true, 'room.water.supply.ok': true, 'room.gas.store.pressure': 1000, 'room.temperature': 250 };

function rawOf(p: ExpandedPoint, hot: Set<string>): number | boolean {
  if (hot.has(p.name)) return 850;
  if (p.name in RAW) return RAW[p.name]!;
  if (p.table === 'discrete') return false;
  if (/probe\.[ab]\.temperature$/.test(p.name)) return 250;
  if (p.name.endsWith('.breaker.current')) return 1000;
  return 0;
}

export async function decisionLoop(o: { runs: number; rooms: number; racks: number; pollMs: number }): Promise<DecisionLoopResult> {
  const profile = loadModbusProfile(DEFAULT_FIRE_PROFILE);
  const defs = expandModbusProfile(profile.modbus, resolveProfileParams(profile, { racks: o.racks })).filter((p) => p.table === 'discrete' || p.table === 'input');
  const out: DecisionLoopResult = { toCommand: [], toWrite: [], ingest: [], idlePoll: [], incidentPoll: [], lostDevice: [] };
  for (let run = 0; run < o.runs; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'dcim-fire-decision-'));
    const clock = new FakeTimerHost(Date.now());
    const room = (run % o.rooms) + 1;
    const rack = 1 + ((run * 37) % o.racks);
    let cmdAt = 0, writeAt = 0;
    const runtime = new FireRuntime({
      site: 'sim1', agent: 'bench', journalDir: dir, publisher: new MemoryPublisher(), machine: statechartZoneMachine, clock, pollPeriodMs: o.pollMs, localSocket: false,
      config: validateFireConfig({
        thresholds: {}, timings: { onDelayMs: 0, offGasOnDelayMs: 0 }, feedback: {},
        zones: Array.from({ length: o.rooms }, (_, i) => ({ id: `z${i + 1}`, room: `BR${i + 1}`, fireIo: `fire-br${i + 1}`, racks: o.racks })),
      }),
      io: { writePoint: (_d, point) => { if (!writeAt && point.startsWith(`rack.${rack}.`)) writeAt = performance.now(); return new Promise((r) => setImmediate(() => r({ ok: true, readBack: true }))); } },
      onEffect: (_z, e) => { if (!cmdAt && e.type === 'cmd' && e.actuator.startsWith(`rack.${rack}.`)) cmdAt = performance.now(); },
    });
    const poll = (device: string, hot: Set<string>): Point[] => {
      const ts = clock.now();
      return defs.map((p) => normalise({ device, point: p.name, raw: rawOf(p, hot), ts }, p, 'sim1'));
    };
    const devices = Array.from({ length: o.rooms }, (_, i) => `fire-br${i + 1}`);
    const pollAll = (hotDevice?: string, hot = new Set<string>()) => {
      let t = 0;
      for (const d of devices) {
        const pts = poll(d, d === hotDevice ? hot : new Set());
        const t0 = performance.now();
        runtime.ingest(pts);
        t += performance.now() - t0;
      }
      clock.advance(o.pollMs);
      return t;
    };
    const started = runtime.start();
    pollAll();
    await started;
    pollAll();
    out.idlePoll.push(pollAll());
    const hot = new Set([`rack.${rack}.probe.a.temperature`, `rack.${rack}.probe.b.temperature`]);
    const hotDevice = `fire-br${room}`;
    pollAll(hotDevice, hot); // first sample over the threshold
    const pts = poll(hotDevice, hot); // the confirming sample
    const t0 = performance.now();
    runtime.ingest(pts);
    const t1 = performance.now();
    if (cmdAt && writeAt) {
      out.toCommand.push(cmdAt - t0);
      out.toWrite.push(writeAt - t0);
      out.ingest.push(t1 - t0);
    } else process.stderr.write(`decision loop run ${run}: no command for rack ${rack} of ${hotDevice}\n`);
    // the writes return (the IO port answers on the next turn), the zone waits for ~100 feedbacks:
    // one more poll of the zone in incident (breakers still closed in this field)
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    clock.advance(o.pollMs);
    const next = poll(hotDevice, hot);
    const t2 = performance.now();
    runtime.ingest(next);
    out.incidentPoll.push(performance.now() - t2);
    // another zone's device stops answering (a Modbus timeout: every point bad at once, §4)
    const lost = devices.find((d) => d !== hotDevice)!;
    const ts = clock.now();
    const bad = defs.map((p) => normalise({ device: lost, point: p.name, raw: null, ts, error: 'timeout' }, p, 'sim1'));
    const t3 = performance.now();
    runtime.ingest(bad);
    out.lostDevice.push(performance.now() - t3);
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
