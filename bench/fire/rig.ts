/**
 * Rig of bench/fire-latency: the simulator (4 battery rooms × 100 racks, real time) in a child
 * process, the fire host (4 zones × 100 racks) in this process, and the probes the bench reads:
 *   - every poll cycle of every fire I/O link (`onCycle`: the points and when the read ended),
 *   - every machine effect (`onEffect`: when the zone decided a command),
 *   - the simulator's write log (when a command reached the device).
 * Nothing here changes what the host does; the hooks only record times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Point } from '../../lib/points.js';
import { startFireHost, type FireHost } from '../../agent/fire/host.js';
import { MemoryPublisher } from '../../agent/fire/publish.js';
import type { Effect } from '../../statecharts/zone/types.js';
import type { DeviceEndpoint } from '../../hardware-sim/devices.js';

export const ROOMS = 4;
export const RACKS = 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WriteEntry { ts: string; device: string; point?: string; value: unknown; who: string }

/** A simulator endpoint as the `--serve` child prints it (hardware-sim DeviceEndpoint). */
export type SimEndpoint = DeviceEndpoint;
export interface SimReady { controlUrl: string; endpoints: SimEndpoint[] }

/**
 * Body of the `--serve` child: start the simulator and print its endpoints as one JSON line.
 * With a broker URL the simulator also publishes its MQTT devices (thermal cameras) there.
 */
export async function serveSimulator(brokerUrl?: string): Promise<void> {
  const { startSimulator } = await import('../../hardware-sim/index.js');
  const sim = await startSimulator({ config: { racksPerRoom: RACKS, zones: ROOMS }, timeScale: 1, opcuaEnabled: false, ...(brokerUrl ? { brokerUrl } : {}) });
  process.stdout.write(`${JSON.stringify({ controlUrl: sim.controlUrl, endpoints: sim.endpoints } satisfies SimReady)}\n`);
  process.on('SIGTERM', () => { void sim.stop().then(() => process.exit(0)); });
}

/** One watched condition on one device's points (a run of the bench). */
export interface Watch {
  device: string;
  /** true when this cycle's points show the input crossed */
  test(byName: Map<string, Point>): boolean;
  /** the command effect that answers it */
  isCommand(e: Extract<Effect, { type: 'cmd' }>): boolean;
  /** cycles whose points showed the crossing: sample time of the watched point and end of the poll read */
  seen: { ts: number; endedAt: number; cycle: number }[];
  /** wall time of the answering command effect, and the poll cycle whose batch caused it */
  decidedAt?: number;
  decidedIn?: { ts: number; endedAt: number; cycle: number; seenIndex: number };
  /** the point whose sample time stands for the cycle (the one read last among the watched) */
  tsPoint: string;
  onDecided?: () => void;
  /** full agent: the point of the answering coil write, and when the fire runtime called the agent's write for it (intent fsynced) */
  isWritePoint?(point: string): boolean;
  writeCalledAt?: number;
}

/** What a run of the bench needs from a rig (the fire host's, or the full agent's in full-agent.ts). */
export interface BenchRig {
  watch(w: Watch): void;
  unwatch(w: Watch): void;
  post(path: string, body: unknown): Promise<string>;
  writes(): Promise<WriteEntry[]>;
  stop(): Promise<void>;
  /** After a run: fill `decidedAt` / `decidedIn` of a watch from records read after the fact (full agent). */
  settle?(w: Watch): void;
}

export interface Rig extends BenchRig { host: FireHost }

export interface RigOptions {
  script: string;
  pollMs: number;
  onDelayMs: number;
  offGasOnDelayMs: number;
}

export function spawnSim(script: string, brokerUrl?: string): { child: ChildProcess; ready: Promise<SimReady> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--serve', ...(brokerUrl ? ['--broker', brokerUrl] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<SimReady>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    // the simulator's libraries may print a warning line first (node-opcua does): the endpoints are the JSON line
    const onLine = (l: string) => {
      if (!l.startsWith('{')) { process.stderr.write(`simulator: ${l}\n`); return; }
      rl.off('line', onLine);
      try { resolve(JSON.parse(l) as SimReady); } catch (err) { reject(err as Error); }
    };
    rl.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before it was ready`)));
  });
  return { child, ready };
}

/** Fresh simulator, fresh journal directory, fresh fire host; resolves once every zone has recovered and polls. */
export async function startRig(o: RigOptions): Promise<Rig> {
  const { child, ready } = spawnSim(o.script);
  const killChild = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', killChild);
  const { controlUrl, endpoints } = await ready;
  const dir = mkdtempSync(join(tmpdir(), 'dcim-fire-bench-'));
  const watches = new Set<Watch>();
  const cycles = new Map<string, number>();
  const host = await startFireHost({
    site: 'sim1', agent: 'bench', journalDir: dir, pollMs: o.pollMs, socket: false,
    fire: {
      thresholds: {}, timings: { onDelayMs: o.onDelayMs, offGasOnDelayMs: o.offGasOnDelayMs }, feedback: {},
      zones: Array.from({ length: ROOMS }, (_, i) => ({ id: `z${i + 1}`, room: `BR${i + 1}`, fireIo: `fire-br${i + 1}`, racks: RACKS })),
    },
    devices: endpoints.filter((e) => e.id.startsWith('fire-')).map((e) => ({ id: e.id, host: e.host, port: e.port!, unitId: e.unitIds?.[0] ?? 1, racks: RACKS })),
  }, {
    publisher: new MemoryPublisher(),
    onEffect: (_zone, e) => {
      if (e.type !== 'cmd') return;
      const now = Date.now();
      for (const w of watches) if (w.decidedAt === undefined && w.isCommand(e)) { w.decidedAt = now; w.onDecided?.(); }
    },
  });
  host.onCycle = (points, cycle) => {
    const device = points[0]?.device;
    if (!device) return;
    const n = (cycles.get(device) ?? 0) + 1;
    cycles.set(device, n);
    let byName: Map<string, Point> | null = null;
    for (const w of watches) {
      if (w.device !== device) continue;
      byName ??= new Map(points.map((p) => [p.name, p]));
      const ts = byName.get(w.tsPoint)?.ts ?? cycle.startedAt;
      if (w.decidedIn === undefined && w.test(byName)) w.seen.push({ ts, endedAt: cycle.endedAt, cycle: n });
      // onCycle runs right after the runtime ingested this batch: a decision taken since the end of
      // this read was taken on this batch
      if (w.decidedAt !== undefined && w.decidedIn === undefined && w.decidedAt >= cycle.endedAt) {
        w.decidedIn = { ts, endedAt: cycle.endedAt, cycle: n, seenIndex: w.seen.length - 1 };
      }
    }
  };
  const api = controlApi(controlUrl);
  // every zone recovered, then two full poll cycles of every link
  const t0 = Date.now();
  while ([...host.runtime.zones.values()].some((z) => z.isRecovering) && Date.now() - t0 < 15_000) await sleep(50);
  const base = new Map(host.ios.map((l) => [l, l.cycles]));
  while (host.ios.some((l) => l.cycles < base.get(l)! + 2) && Date.now() - t0 < 20_000) await sleep(50);
  return {
    host,
    watch: (w) => { watches.add(w); },
    unwatch: (w) => { watches.delete(w); },
    ...api,
    stop: async () => {
      await host.stop();
      process.removeListener('exit', killChild);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The simulator's control API: inject a fault, read the write log. */
export function controlApi(controlUrl: string): Pick<BenchRig, 'post' | 'writes'> {
  const call = async (path: string, init?: RequestInit): Promise<string> => {
    // the control API closes idle keep-alive sockets: retry on a fresh one (a repeated stuck fault is harmless)
    for (let attempt = 1; ; attempt++) {
      try { return await (await fetch(`${controlUrl}${path}`, init)).text(); } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(10);
      }
    }
  };
  return {
    post: (path, body) => call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    writes: async () => (await call('/writes')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as WriteEntry),
  };
}

/** SIGTERM the simulator child, SIGKILL it if it is still there after 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(3000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
