/**
 * Rig of `bench/fire-latency --full-agent`: the same simulator child (4 battery rooms × 100 racks,
 * real time), a real Mosquitto, and the whole edge agent (`createAgent`: Modbus and MQTT drivers,
 * normaliser, staleness, report-by-exception telemetry with its disk store-and-forward queue, MQTT
 * link, fire runtime) in this process, configured from the simulator's endpoints with `fromSim` as
 * test/fire/support/site-rig.ts does: per room the fire I/O, the BMS and the thermal camera.
 *
 * The probes change nothing the agent decides or sends; they only take times:
 *   - every driver's sink is wrapped (`createDriver` builds the same drivers the agent would): the
 *     time a poll's readings are handed over is the end of that poll read, and the time the sink
 *     returns bounds the synchronous work done on that batch (normalise, fire runtime, telemetry);
 *   - `agent.onPoints` (registered after the fire runtime's listener) sees the normalised points;
 *   - the agent's `write` is wrapped: when the fire runtime called it (its intent already fsynced);
 *   - after a run, the zone journal's `intent` record of the answering command gives the decision
 *     time (its `ts` is taken when the intent is appended, right after the machine's command
 *     effect, before its fsync); the last batch handed over before that time is the one decided on
 *     (the runtime ingests synchronously inside the sink, and starts a burst's first command there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Point } from '../../lib/points.js';
import { silentLogger } from '../../lib/log.js';
import { createAgent, type Agent } from '../../agent/agent.js';
import { fromSim } from '../../agent/config/from-sim.js';
import { resolveAgentConfig, type ResolvedDevice } from '../../agent/config/load.js';
import { ModbusDriver, ModbusEndpointPool, modbusDriverConfig } from '../../agent/drivers/modbus/index.js';
import { MqttDeviceDriver } from '../../agent/drivers/mqtt/index.js';
import type { Driver, RawReading, WriteRequest } from '../../agent/drivers/types.js';
import type { JournalRecord } from '../../agent/fire/journal.js';
import type { Effect } from '../../statecharts/zone/types.js';
import { startMosquitto, type Mosquitto } from '../../test/support/mosquitto.js';
import { controlApi, ROOMS, sleep, spawnSim, stopChild, type BenchRig, type Watch } from './rig.js';

export interface FullAgentRigOptions {
  script: string;
  pollMs: number;
  onDelayMs: number;
  offGasOnDelayMs: number;
  /** also read each room's thermal camera over MQTT (default true, as a site has it) */
  camera?: boolean;
  /** also read each room's BMS (default true; false: to see what its load costs the fire path) */
  bms?: boolean;
}

export interface FullAgentRig extends BenchRig {
  agent: Agent;
  /** ms between two consecutive poll batches of a fire I/O device (its effective poll period), and how long the sink call took */
  gaps: { fireIo: number[]; bms: number[]; sinkFireIo: number[]; sinkBms: number[] };
  /** points the agent delivered marked stale by its staleness sweep (not read within 3 poll periods), by device kind */
  stale: { fireIo: number; bms: number; other: number };
}

type CmdEffect = Extract<Effect, { type: 'cmd' }>;

/** One poll batch of a watched device while a watch is on. */
interface Cycle { ts: number; endedAt: number; returnedAt: number; cycle: number; showed: boolean }

/** A driver whose sink is timed; everything else is the driver's own. */
function timed(d: Driver, onBatch: (device: string, readings: readonly RawReading[], endedAt: number, returnedAt: number) => void): Driver {
  return {
    deviceId: d.deviceId,
    start: (ctx) => d.start({
      ...ctx,
      sink: (readings) => {
        const endedAt = Date.now();
        try { ctx.sink(readings); } finally { onBatch(d.deviceId, readings, endedAt, Date.now()); }
      },
    }),
    stop: () => d.stop(),
    ...(d.write ? { write: (req: WriteRequest) => d.write!(req) } : {}),
    linkState: () => d.linkState(),
  };
}

/** Fresh Mosquitto, simulator, data dir and agent; resolves once the agent started (fire zones recovered) and polled twice. */
export async function startFullAgentRig(o: FullAgentRigOptions): Promise<FullAgentRig> {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => { for (const c of cleanups.splice(0).reverse()) { try { await c(); } catch { /* keep closing */ } } };
  try {
    const broker: Mosquitto = await startMosquitto();
    cleanups.push(async () => { await broker.stop(); rmSync(broker.dir, { recursive: true, force: true }); });
    const { child, ready } = spawnSim(o.script, broker.url);
    const killChild = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
    process.once('exit', killChild);
    cleanups.push(async () => { process.removeListener('exit', killChild); await stopChild(child); });
    const { controlUrl, endpoints } = await ready;
    const dataDir = mkdtempSync(join(tmpdir(), 'dcim-fire-bench-agent-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const keep = new Set<string>();
    for (let r = 1; r <= ROOMS; r++) for (const d of ['fire', ...(o.bms === false ? [] : ['bms']), ...(o.camera === false ? [] : ['cam'])]) keep.add(`${d}-br${r}`);
    const raw = fromSim(endpoints.filter((e) => keep.has(e.id)), {
      brokerUrl: broker.url, dataDir, fire: true, agent: 'edge-1',
      // the fire I/O and the BMS fire points are in the fast group
      pollGroups: { fast: o.pollMs, normal: 1000, slow: 10_000 },
    }) as { fire: Record<string, unknown> };
    raw.fire = { ...raw.fire, thresholds: {}, timings: { onDelayMs: o.onDelayMs, offGasOnDelayMs: o.offGasOnDelayMs }, feedback: {} };
    const loaded = resolveAgentConfig(raw);

    const watches = new Set<Watch>();
    const cyclesOf = new Map<Watch, Cycle[]>();
    const watchedSince = new Map<Watch, number>();
    const counts = new Map<string, number>();
    let delivered: readonly Point[] = [];
    const gaps: FullAgentRig['gaps'] = { fireIo: [], bms: [], sinkFireIo: [], sinkBms: [] };
    const lastBatch = new Map<string, number>();
    // a device has a batch per poll group (fast: the fire inputs; normal: coils, other BMS points):
    // the fast group is the one holding the point the zone reads first from that device
    const FAST = { fireIo: 'rack.1.probe.a.temperature', bms: 'rack.1.temperature.max' } as const;
    const onBatch = (device: string, readings: readonly RawReading[], endedAt: number, returnedAt: number) => {
      const n = (counts.get(device) ?? 0) + 1;
      counts.set(device, n);
      const kind = device.startsWith('fire-') ? 'fireIo' : device.startsWith('bms-') ? 'bms' : null;
      if (kind && readings.some((r) => r.point === FAST[kind])) {
        const prev = lastBatch.get(device);
        if (prev !== undefined) gaps[kind].push(endedAt - prev);
        lastBatch.set(device, endedAt);
        gaps[kind === 'fireIo' ? 'sinkFireIo' : 'sinkBms'].push(returnedAt - endedAt);
      }
      const points = delivered[0]?.device === device ? delivered : [];
      delivered = [];
      let byName: Map<string, Point> | null = null;
      for (const w of watches) {
        if (w.device !== device || !points.length) continue;
        byName ??= new Map(points.map((p) => [p.name, p]));
        const sample = byName.get(w.tsPoint);
        if (!sample) continue; // another poll group's batch
        cyclesOf.get(w)?.push({ ts: sample.ts, endedAt, returnedAt, cycle: n, showed: w.test(byName) });
      }
    };
    const pool = new ModbusEndpointPool();
    const { config } = loaded;
    // the drivers the agent builds by default (agent.ts createDriver), each with a timed sink
    const createDriver = (dev: ResolvedDevice): Driver | null => {
      if (dev.protocol === 'modbus') return timed(new ModbusDriver(modbusDriverConfig(dev, config.pollGroups), { pool }), onBatch);
      if (dev.protocol === 'mqtt' && dev.config.mqtt && dev.profile.mqtt) {
        return timed(new MqttDeviceDriver(dev.id, { device: dev.config.mqtt, profile: dev.profile.mqtt, params: dev.params, site: config.site, agent: config.agent, ...(dev.config.room !== undefined ? { room: dev.config.room } : {}) }), onBatch);
      }
      return null;
    };
    const agent = createAgent({ loaded, log: silentLogger, createDriver });
    const write = agent.write.bind(agent);
    agent.write = (req) => {
      const now = Date.now();
      for (const w of watches) {
        if (w.writeCalledAt === undefined && req.device === w.device && w.isWritePoint?.(req.point) && req.value === true) { w.writeCalledAt = now; w.onDecided?.(); }
      }
      return write(req);
    };
    await agent.start();
    cleanups.push(() => agent.stop());
    const stale: FullAgentRig['stale'] = { fireIo: 0, bms: 0, other: 0 };
    // registered after the fire runtime's listener: runs once the runtime ingested the batch, inside the sink
    agent.onPoints((points) => {
      delivered = points;
      for (const p of points) if (p.reason === 'stale') stale[p.device.startsWith('fire-') ? 'fireIo' : p.device.startsWith('bms-') ? 'bms' : 'other']++;
    });
    // two full poll cycles of every fire I/O device
    const t0 = Date.now();
    const fireDevices = [...keep].filter((d) => d.startsWith('fire-'));
    const base = new Map(fireDevices.map((d) => [d, counts.get(d) ?? 0]));
    while (fireDevices.some((d) => (counts.get(d) ?? 0) < base.get(d)! + 2) && Date.now() - t0 < 20_000) await sleep(50);
    if (fireDevices.some((d) => (counts.get(d) ?? 0) < base.get(d)! + 2)) throw new Error('the agent did not poll every fire I/O device twice within 20 s');

    for (const k of Object.keys(gaps) as (keyof typeof gaps)[]) gaps[k].length = 0; // start-up excluded
    stale.fireIo = stale.bms = stale.other = 0;
    return {
      agent, gaps, stale,
      watch: (w) => { watches.add(w); cyclesOf.set(w, []); watchedSince.set(w, Date.now()); },
      unwatch: (w) => { watches.delete(w); cyclesOf.delete(w); watchedSince.delete(w); },
      ...controlApi(controlUrl),
      settle: (w) => {
        const zoneId = config.fire?.zones.find((z) => z.fireIo === w.device)?.id;
        const zone = zoneId ? agent.fire?.zones.get(zoneId) : undefined;
        const cycles = cyclesOf.get(w) ?? [];
        if (!zone || !cycles.length) return;
        const since = watchedSince.get(w) ?? 0;
        const asCommand = (r: JournalRecord): CmdEffect => ({ type: 'cmd', actuator: String(r.data.actuator), op: String(r.data.op), intentId: String(r.data.intentId) });
        const intent = zone.journal.readAll().find((r) => r.type === 'intent' && r.ts >= since && w.isCommand(asCommand(r)));
        if (!intent) return;
        w.decidedAt = intent.ts;
        // the batch whose sink call spans the intent (or, were the command started in a later turn, the last batch before it)
        let at = -1;
        cycles.forEach((c, i) => { if (c.endedAt <= intent.ts) at = i; });
        w.seen = cycles.slice(0, at < 0 ? cycles.length : at + 1).filter((c) => c.showed).map((c) => ({ ts: c.ts, endedAt: c.endedAt, cycle: c.cycle }));
        if (at >= 0) w.decidedIn = { ts: cycles[at]!.ts, endedAt: cycles[at]!.endedAt, cycle: cycles[at]!.cycle, seenIndex: cycles[at]!.showed ? w.seen.length - 1 : -1 };
      },
      stop: close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
