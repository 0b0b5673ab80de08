/**
 * Fire decision latency at 400 racks (issue 4): time from the simulator's input crossing a
 * threshold to the agent's command reaching the simulator (its write log), p50 / p99 / max over
 * many runs, split into
 *   1. poll wait      crossing → the first agent sample that shows it (the poll phase);
 *   2. confirmation   first sample → the sample that confirms it, imposed by FS-03 for
 *                     temperatures: ≥ 2 consecutive valid samples AND held ≥ onDelayMs (so at
 *                     least one more poll period); 0 for the off-gas detector at offGasOnDelayMs 0;
 *   3. read rest      the confirming sample → the end of that poll read (the batch is handed to the
 *                     runtime once the whole device is read);
 *   4. decision + command  end of that read → the coil write in the simulator's log, itself split
 *                     into decide (normalise, voter, zone machine, transition journal, snapshot, up
 *                     to the command effect) and command (intent journal fsync, FS-30, and the
 *                     Modbus write with its queue).
 *
 * The simulator (4 rooms × 100 racks, real time) runs in a child process; this process runs the
 * fire host (4 zones × 100 racks) as the agent would. Each run drives one fresh rack:
 *   - `offgas`: the rack's off-gas detector turns on → stage 0 → that rack's breaker opens
 *     (one host for every off-gas run; each zone is at stage 0 from its first run on);
 *   - `temperature`: both probes of a rack step to 85 °C in a zone at normal → stage 3 → the
 *     rack's breaker opens first (FS-09 rack first). A zone reaches stage 3 once, so these runs
 *     use episodes: a fresh simulator and host per episode, one run per zone.
 *
 *   npx tsx bench/fire-latency.ts [--runs 120] [--episodes 10] [--poll 250] [--on-delay 0]
 *   npx tsx bench/fire-latency.ts --decision-only [--runs 60]   (the decision path alone, in process:
 *     no simulator, no sockets, simulated clock; see fire/decision-loop.ts)
 *   npx tsx bench/fire-latency.ts --full-agent [--runs 40] [--episodes 5] [--without-camera] [--without-bms]   (the whole
 *     agent, createAgent, instead of the fire host: its Modbus/MQTT drivers, telemetry to a real
 *     Mosquitto, fire runtime, per room the fire I/O, BMS and camera; see fire/full-agent.ts. There
 *     "decide" ends at the zone journal's intent record of the command and "command" is split into
 *     intent fsync (→ the agent's write call) and the Modbus write (→ the simulator's log))
 * Profile the host process: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/fire-latency.ts
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Point } from '../lib/points.js';
import type { FullAgentRig } from './fire/full-agent.js';
import { decisionLoop } from './fire/decision-loop.js';
import { RACKS, ROOMS, serveSimulator, sleep, startRig, type BenchRig, type Watch } from './fire/rig.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '120' }, episodes: { type: 'string', default: '10' }, poll: { type: 'string', default: '250' },
    'on-delay': { type: 'string', default: '0' }, serve: { type: 'boolean', default: false }, 'decision-only': { type: 'boolean', default: false },
    'full-agent': { type: 'boolean', default: false }, 'without-camera': { type: 'boolean', default: false }, 'without-bms': { type: 'boolean', default: false }, broker: { type: 'string' },
  },
});
const SCRIPT = fileURLToPath(import.meta.url);
const STEP_C = 85;

interface Sample {
  poll: number; confirm: number; samples: number; read: number; decide: number; command: number; decision: number; total: number;
  /** full agent only: intent record → the agent's write call (intent fsync, FS-30), and → the coil write at the simulator */
  intent?: number; modbus?: number;
}
type Kind = 'offgas' | 'temperature';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const fmt = (xs: number[]) => (xs.length ? `p50 ${pct(xs, 50).toFixed(1).padStart(7)}  p99 ${pct(xs, 99).toFixed(1).padStart(7)}  max ${Math.max(...xs).toFixed(1).padStart(7)}` : 'no samples');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' / ');

/** One run: cross the input of `rack` in `room`, wait for its command at the simulator. */
async function once(rig: BenchRig, kind: Kind, room: number, rack: number, pollMs: number, out: Sample[], missed: string[]): Promise<void> {
  const device = `fire-br${room}`;
  const a = `rack.${rack}.probe.a.temperature`, b = `rack.${rack}.probe.b.temperature`, og = `rack.${rack}.offgas`;
  const hot = (p: Point | undefined) => p !== undefined && p.quality === 'good' && typeof p.value === 'number' && p.value >= 80;
  let decided!: () => void;
  const decidedP = new Promise<void>((r) => { decided = r; });
  const w: Watch = {
    device, seen: [], tsPoint: kind === 'offgas' ? og : b, onDecided: () => decided(),
    test: kind === 'offgas' ? (m) => m.get(og)?.value === true : (m) => hot(m.get(a)) && hot(m.get(b)),
    // off-gas: that rack's breaker; temperature: the first command for that rack (its breaker, rack first)
    isCommand: (e) => (kind === 'offgas' ? e.actuator === `rack.${rack}.breaker` && e.op === 'open' : e.actuator.startsWith(`rack.${rack}.`)),
    isWritePoint: (p) => (kind === 'offgas' ? p === `rack.${rack}.breaker.open.cmd` : p.startsWith(`rack.${rack}.`)),
  };
  const before = (await rig.writes()).length;
  rig.watch(w);
  await sleep(Math.random() * pollMs); // cross at a random phase of the poll cycle
  let t0: number;
  if (kind === 'offgas') {
    t0 = Date.now();
    await rig.post('/faults', { kind: 'offgas-only', room: `BR${room}`, rack });
  } else {
    // probe A first, then B: the rack has crossed (both channels hot) while the second fault is applied
    await rig.post('/faults', { kind: 'stuck', device, point: a, value: STEP_C });
    t0 = Date.now();
    await rig.post('/faults', { kind: 'stuck', device, point: b, value: STEP_C });
  }
  const gotIt = await Promise.race([decidedP.then(() => true), sleep(15_000).then(() => false)]);
  const isWrite = (x: { device: string; point?: string; value: unknown; who: string }) => x.device === device && x.value === true && x.who.startsWith('modbus')
    && (kind === 'offgas' ? x.point === `rack.${rack}.breaker.open.cmd` : (x.point ?? '').startsWith(`rack.${rack}.`));
  let tw: number | undefined;
  for (let i = 0; gotIt && i < 50 && tw === undefined; i++) {
    await sleep(100); // the write log is read after the fact: its timestamps are the simulator's, polling it faster only adds load
    const x = (await rig.writes()).slice(before).find(isWrite);
    if (x) tw = Date.parse(x.ts);
  }
  rig.settle?.(w); // full agent: decision time and batch from the zone journal
  // let the cycle that carried the decision be attributed (onCycle runs right after the runtime ingested it)
  for (let i = 0; i < 20 && w.decidedAt !== undefined && w.decidedIn === undefined; i++) await sleep(25);
  rig.unwatch(w);
  const d = w.decidedIn;
  const first = w.seen[0];
  if (tw === undefined || w.decidedAt === undefined || !d || !first || d.seenIndex < 0) {
    missed.push(`${kind} BR${room} rack ${rack}: ${!gotIt ? 'no decision' : tw === undefined ? 'no write at the simulator' : 'decision outside a poll batch showing the crossing'}`);
    return;
  }
  out.push({
    poll: Math.max(0, first.ts - t0), confirm: d.ts - first.ts, samples: d.seenIndex + 1, read: d.endedAt - d.ts,
    decide: w.decidedAt - d.endedAt, command: tw - w.decidedAt, decision: tw - d.endedAt, total: tw - t0,
    ...(w.writeCalledAt !== undefined ? { intent: w.writeCalledAt - w.decidedAt, modbus: tw - w.writeCalledAt } : {}),
  });
}

function report(kind: Kind, title: string, xs: Sample[], missed: string[], pollMs: number, onDelayMs: number, fullAgent: boolean): void {
  const col = (k: keyof Sample) => xs.flatMap((s) => (s[k] === undefined ? [] : [s[k]]));
  const samples = new Map<number, number>();
  for (const s of xs) samples.set(s.samples, (samples.get(s.samples) ?? 0) + 1);
  const why = kind === 'offgas'
    ? 'FS-05 off-gas: one sample, offGasOnDelayMs 0'
    : `FS-03: ≥ 2 consecutive valid samples AND ≥ onDelayMs ${onDelayMs} → ≥ ${Math.max(1, Math.ceil(onDelayMs / pollMs))} more poll(s) of ${pollMs} ms`;
  const lines = [
    `${title}: runs ${xs.length}${missed.length ? ` (missed ${missed.length})` : ''}; samples to confirm ${[...samples].sort((p, q) => p[0] - q[0]).map(([n, c]) => `${n}:${c}`).join(' ')}`,
    `  1 poll wait                ${fmt(col('poll'))} ms   crossing → first sample showing it (poll period ${pollMs} ms)`,
    `  2 confirmation (required)  ${fmt(col('confirm'))} ms   ${why}`,
    ...(fullAgent ? [
      `  3 rest of the poll read    ${fmt(col('read'))} ms   confirming sample → the driver hands the group's readings to the agent`,
      `  4 decision + command       ${fmt(col('decision'))} ms   readings → coil write at the simulator`,
      `      decide                 ${fmt(col('decide'))} ms   normalise, staleness, voter, machine, journal, snapshot → intent record of the command`,
      `      command                ${fmt(col('command'))} ms   intent record → coil write at the simulator, of which`,
      `        intent fsync         ${fmt(col('intent'))} ms   intent record → the agent's write (FS-30)`,
      `        Modbus write         ${fmt(col('modbus'))} ms   the agent's write → coil write at the simulator (driver queue, link)`,
    ] : [
      `  3 rest of the poll read    ${fmt(col('read'))} ms   confirming sample → batch handed to the runtime`,
      `  4 decision + command       ${fmt(col('decision'))} ms   batch → coil write at the simulator`,
      `      decide                 ${fmt(col('decide'))} ms   normalise, voter, machine, journal, snapshot → command effect`,
      `      command                ${fmt(col('command'))} ms   intent fsync (FS-30) + Modbus write`,
    ]),
    `  total                      ${fmt(col('total'))} ms`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const m of missed) process.stdout.write(`  missed: ${m}\n`);
}

async function main(): Promise<void> {
  const pollMs = Number(opts.poll);
  const onDelayMs = Number(opts['on-delay']);
  const runs = Math.min(Number(opts.runs), ROOMS * RACKS);
  const episodes = Number(opts.episodes);
  const loadBefore = load();
  const startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  const fullAgent = opts['full-agent'];
  // full agent: how late the shared event loop runs timers (drivers, fire runtime, telemetry all wait on it)
  const lag = monitorEventLoopDelay({ resolution: 10 });
  if (fullAgent) lag.enable();
  const rigOpts = { script: SCRIPT, pollMs, onDelayMs, offGasOnDelayMs: 0 };
  // loaded only here: the simulator child and the fire-host mode need none of the agent
  const full = fullAgent ? await import('./fire/full-agent.js') : null;
  const gaps: FullAgentRig['gaps'] = { fireIo: [], bms: [], sinkFireIo: [], sinkBms: [] };
  const stale: FullAgentRig['stale'] = { fireIo: 0, bms: 0, other: 0 };
  const start = async (): Promise<BenchRig> => {
    if (!full) return startRig(rigOpts);
    const rig = await full.startFullAgentRig({ ...rigOpts, camera: !opts['without-camera'], bms: !opts['without-bms'] });
    const stop = rig.stop;
    // the effective poll periods of this rig's life, kept for the report
    return { ...rig, stop: async () => { for (const k of Object.keys(gaps) as (keyof typeof gaps)[]) gaps[k].push(...rig.gaps[k]); stale.fireIo += rig.stale.fireIo; stale.bms += rig.stale.bms; stale.other += rig.stale.other; await stop(); } };
  };
  const og: Sample[] = [], ogMissed: string[] = [], temp: Sample[] = [], tempMissed: string[] = [];
  if (runs > 0) {
    const rig = await start();
    try {
      for (let i = 0; i < runs; i++) {
        await once(rig, 'offgas', (i % ROOMS) + 1, Math.floor(i / ROOMS) + 1, pollMs, og, ogMissed);
        if ((i + 1) % 20 === 0) process.stderr.write(`off-gas ${i + 1}/${runs}\n`);
      }
    } finally { await rig.stop(); }
  }
  for (let e = 0; e < episodes; e++) {
    const ts = Date.now();
    const rig = await start();
    process.stderr.write(`temperature episode ${e + 1}/${episodes}: simulator and ${fullAgent ? 'agent' : 'host'} up in ${((Date.now() - ts) / 1000).toFixed(1)} s\n`);
    try {
      for (let room = 1; room <= ROOMS; room++) await once(rig, 'temperature', room, 1 + ((e * 37 + room * 13) % RACKS), pollMs, temp, tempMissed);
    } finally { await rig.stop(); }
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = (Date.now() - startedAt) / 1000;
  process.stdout.write(`fire decision latency${fullAgent ? ', FULL AGENT' : ''}: ${ROOMS * RACKS} racks (${ROOMS} zones × ${RACKS}), poll period ${pollMs} ms, onDelayMs ${onDelayMs}, offGasOnDelayMs 0\n`);
  if (fullAgent) {
    process.stdout.write(`agent: createAgent with per room fire I/O${opts['without-bms'] ? '' : ' + BMS'} (Modbus, fast group ${pollMs} ms)${opts['without-camera'] ? '' : ' + thermal camera (MQTT)'}, `
      + 'telemetry to Mosquitto with the disk store-and-forward queue, fire runtime with its journals\n');
  }
  process.stdout.write(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average 1/5/15 min before ${loadBefore}, after ${load()}; `
    + `${fullAgent ? 'agent' : 'host'} process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${wall.toFixed(0)} s wall\n`);
  if (fullAgent) {
    process.stdout.write(`fast poll group, batch to batch (effective poll period): fire I/O ${fmt(gaps.fireIo)} ms; BMS ${fmt(gaps.bms)} ms\n`
      + `synchronous handling of one batch (normalise, staleness, fire runtime, telemetry): fire I/O ${fmt(gaps.sinkFireIo)} ms; BMS ${fmt(gaps.sinkBms)} ms\n`
      + `points marked stale by the agent's staleness sweep: fire I/O ${stale.fireIo}, BMS ${stale.bms}, other ${stale.other}\n`
      + `event loop delay (whole run, 10 ms resolution): p50 ${(lag.percentile(50) / 1e6).toFixed(1)}  p99 ${(lag.percentile(99) / 1e6).toFixed(1)}  max ${(lag.max / 1e6).toFixed(1)} ms\n`);
  }
  if (runs > 0) report('offgas', 'off-gas → rack breaker (stage 0)', og, ogMissed, pollMs, onDelayMs, fullAgent);
  if (episodes > 0) report('temperature', `both probes → ${STEP_C} °C → rack breaker (normal → stage 3, ${episodes} episodes × ${ROOMS} zones)`, temp, tempMissed, pollMs, onDelayMs, fullAgent);
  process.exit(0);
}

async function decisionOnly(): Promise<void> {
  const pollMs = Number(opts.poll);
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const r = await decisionLoop({ runs: Number(opts.runs), rooms: ROOMS, racks: RACKS, pollMs });
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`fire decision path in process: ${ROOMS * RACKS} racks (${ROOMS} zones × ${RACKS}), simulated poll ${pollMs} ms, onDelayMs 0; `
    + `runs ${r.toWrite.length}/${opts.runs}\n`);
  process.stdout.write(`machine: ${cpus().length} cores, load average before ${loadBefore}, after ${load()}; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${((Date.now() - t0) / 1000).toFixed(0)} s wall\n`);
  process.stdout.write(`  idle poll, 4 devices       ${fmt(r.idlePoll)} ms   ingest of 4 × 1017 points, no change\n`);
  process.stdout.write(`  next poll of the zone       ${fmt(r.incidentPoll)} ms   ingest of that zone's 1017 points with its stage-3 commands awaiting feedback\n`);
  process.stdout.write(`  confirming batch → command ${fmt(r.toCommand)} ms   voter, machine, transition journal, snapshot → command effect\n`);
  process.stdout.write(`               → write call  ${fmt(r.toWrite)} ms   + intent journal and fsync (FS-30) → IO port writePoint\n`);
  process.stdout.write(`               → ingest end  ${fmt(r.ingest)} ms   whole synchronous ingest (a microtask-sending client would send only now)\n`);
  process.stdout.write(`  device lost (all bad)       ${fmt(r.lostDevice)} ms   ingest of a poll that timed out: 200 channel faults + 100 degraded racks\n`);
  process.exit(0);
}

if (opts.serve) await serveSimulator(opts.broker);
else if (opts['decision-only']) await decisionOnly();
else await main();
