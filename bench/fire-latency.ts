/**
 * Fire decision latency at 400 racks (issue 4): time from the simulator's input crossing a
 * threshold to the agent's command reaching the simulator, split into
 *   - poll wait: crossing → the agent's Modbus read that first saw it, and
 *   - decision + command: that read → the command in the simulator's write log
 *     (normalise, voter, zone machine, journal fsync of the intent, Modbus write),
 * printed as p50 / p99 / max beside the configured poll period.
 *
 * The simulator (4 battery rooms × 100 racks = 400 racks, real time) runs in a child process;
 * this process runs the fire host (4 zones × 100 racks). Each run drives one fresh rack:
 *   - `offgas` runs: the rack's off-gas detector turns on (stage 0, one sample; isolation of
 *     that rack's breaker is the command) — many runs, one rack each;
 *   - `temperature` runs (one per zone: stage 3 then opens every breaker of the zone): both
 *     probes of a rack step to 85 °C (2 valid samples, on-delay 0)
 *     in a zone at stage 0 → stage 3; the command is that rack's breaker open.
 *
 *   npx tsx bench/fire-latency.ts [--runs 120] [--poll 250]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFireHost } from '../agent/fire/host.js';
import { MemoryPublisher } from '../agent/fire/publish.js';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '120' }, poll: { type: 'string', default: '250' }, serve: { type: 'boolean', default: false } } });
const ROOMS = 4;
const RACKS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serve(): Promise<void> {
  const { startSimulator } = await import('../hardware-sim/index.js');
  const sim = await startSimulator({ config: { racksPerRoom: RACKS, zones: ROOMS }, timeScale: 1, opcuaEnabled: false });
  process.stdout.write(`${JSON.stringify({ controlUrl: sim.controlUrl, endpoints: sim.endpoints.filter((e) => e.id.startsWith('fire-')) })}\n`);
  process.on('SIGTERM', () => { void sim.stop().then(() => process.exit(0)); });
}

interface WriteEntry { ts: string; device: string; point?: string; value: unknown; who: string }

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const fmt = (xs: number[]) => (xs.length ? `p50 ${pct(xs, 50).toFixed(1).padStart(7)}  p99 ${pct(xs, 99).toFixed(1).padStart(7)}  max ${Math.max(...xs).toFixed(1).padStart(7)}` : 'no samples');

async function main(): Promise<void> {
  const pollMs = Number(opts.poll);
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killChild = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', killChild);
  const line = await new Promise<string>((resolve) => { const rl = createInterface({ input: child.stdout! }); rl.once('line', resolve); });
  const { controlUrl, endpoints } = JSON.parse(line) as { controlUrl: string; endpoints: { id: string; host: string; port: number; unitIds?: number[] }[] };
  const dir = mkdtempSync(join(tmpdir(), 'dcim-fire-bench-'));
  const zones = Array.from({ length: ROOMS }, (_, i) => ({ id: `z${i + 1}`, room: `BR${i + 1}`, fireIo: `fire-br${i + 1}`, racks: RACKS }));
  /** agent read time of the first sample showing each (device, point) condition */
  const firstSeen = new Map<string, number>();
  const watching = new Map<string, (v: unknown) => boolean>();
  const host = await startFireHost({
    site: 'sim1', agent: 'bench', journalDir: dir, pollMs, socket: false,
    fire: { thresholds: {}, timings: { onDelayMs: 0, offGasOnDelayMs: 0 }, feedback: {}, zones },
    devices: endpoints.map((e) => ({ id: e.id, host: e.host, port: e.port, unitId: e.unitIds?.[0] ?? 1, racks: RACKS })),
  }, { publisher: new MemoryPublisher() });
  host.onCycle = (points) => {
    for (const p of points) {
      const k = `${p.device}/${p.name}`;
      const want = watching.get(k);
      if (want && want(p.value) && !firstSeen.has(k)) firstSeen.set(k, p.ts);
    }
  };
  /** The control API closes idle keep-alive sockets: retry on a fresh one (a repeated stuck fault is harmless). */
  const call = async (path: string, init?: RequestInit): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try { return await (await fetch(`${controlUrl}${path}`, init)).text(); } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(10);
      }
    }
  };
  const post = (path: string, body: unknown) => call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const writes = async (): Promise<WriteEntry[]> => (await call('/writes')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as WriteEntry);
  await sleep(3000); // every zone recovered and polling
  const runs = Math.min(Number(opts.runs), ROOMS * (RACKS - 2));
  const result: Record<'offgas' | 'temperature', { poll: number[]; decision: number[]; total: number[]; missed: number }> = {
    offgas: { poll: [], decision: [], total: [], missed: 0 }, temperature: { poll: [], decision: [], total: [], missed: 0 },
  };
  const once = async (kind: 'offgas' | 'temperature', room: number, rack: number) => {
    const device = `fire-br${room}`;
    // off-gas: that rack's breaker; temperature (stage 3): the first command for that rack (its
    // breaker, or its curtain when an earlier stage already opened every breaker of the zone)
    const isCmd = (x: WriteEntry) => x.device === device && x.value === true && x.who.startsWith('modbus')
      && (kind === 'offgas' ? x.point === `rack.${rack}.breaker.open.cmd` : (x.point ?? '').startsWith(`rack.${rack}.`));
    const seenKey = kind === 'offgas' ? `${device}/rack.${rack}.offgas` : `${device}/rack.${rack}.probe.a.temperature`;
    watching.set(seenKey, kind === 'offgas' ? (v) => v === true : (v) => typeof v === 'number' && v >= 80);
    const before = (await writes()).length;
    await sleep(Math.random() * pollMs); // cross at a random phase of the poll cycle
    const t0 = Date.now();
    if (kind === 'offgas') await post('/faults', { kind: 'offgas-only', room: `BR${room}`, rack });
    else {
      await post('/faults', { kind: 'stuck', device, point: `rack.${rack}.probe.a.temperature`, value: 85 });
      await post('/faults', { kind: 'stuck', device, point: `rack.${rack}.probe.b.temperature`, value: 85 });
    }
    const deadline = Date.now() + 15_000;
    let w: WriteEntry | undefined;
    while (!w && Date.now() < deadline) {
      await sleep(20);
      w = (await writes()).slice(before).find(isCmd);
    }
    const seen = firstSeen.get(seenKey);
    watching.delete(seenKey);
    const r = result[kind];
    if (!w || seen === undefined) { r.missed++; process.stderr.write(`${kind} BR${room} rack ${rack}: ${w ? 'not seen by a poll' : 'no command'} within 15 s\n`); return; }
    const tw = Date.parse(w.ts);
    r.poll.push(Math.max(0, seen - t0));
    r.decision.push(tw - seen);
    r.total.push(tw - t0);
  };
  // Off-gas runs on fresh racks, spread over the rooms (racks 1..RACKS-2; the last two are kept for temperature).
  for (let i = 0; i < runs; i++) {
    await once('offgas', (i % ROOMS) + 1, Math.floor(i / ROOMS) + 1);
    if ((i + 1) % 20 === 0) process.stderr.write(`${i + 1}/${runs} runs\n`);
  }
  for (let room = 1; room <= ROOMS; room++) for (const rack of [RACKS]) await once('temperature', room, rack);
  process.stdout.write(`fire decision latency: ${ROOMS * RACKS} racks (${ROOMS} zones × ${RACKS}), poll period ${pollMs} ms, load average ${loadavg()[0]!.toFixed(1)}\n`);
  for (const k of ['offgas', 'temperature'] as const) {
    const r = result[k];
    process.stdout.write(`${k.padEnd(12)} runs ${r.total.length}${r.missed ? ` (missed ${r.missed})` : ''}\n`);
    process.stdout.write(`  poll wait            ${fmt(r.poll)} ms\n  decision + command   ${fmt(r.decision)} ms\n  total                ${fmt(r.total)} ms\n`);
  }
  await host.stop();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

if (opts.serve) await serve();
else await main();
