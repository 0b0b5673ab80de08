/**
 * The demo stack in one process: an embedded MQTT broker (aedes) on 127.0.0.1, the simulated
 * site (hardware-sim), the server with its embedded store (DuckDB) and the console, an edge
 * agent configured from the simulator's endpoints (telemetry of every device), and the edge fire
 * runtime (agent/fire host: Modbus links to the fire I/O, signed commands from the server) fed
 * also by the agent's BMS and camera points. `server/demo.ts` prints and waits; the browser
 * tests start the same stack on free ports in a temp dir.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../../lib/log.js';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { EmbeddedBroker } from '../../agent/telemetry/embedded-broker.js';
import { fromSim } from '../../agent/config/from-sim.js';
import { spawnEdge, type EdgeConfig, type EdgeProcess } from './edge.js';
import { parseServerConfig, type ServerConfig } from '../config.js';
import { startServer, type RunningServer } from '../main.js';
import { consoleRoutes } from '../console/plugin.js';
import { requireRole } from '../auth/plugin.js';
import { createStore } from '../store/index.js';
import { startIngest } from '../ingest/ingest.js';
import { dataRoutes } from '../routes/data.js';
import { NAMESPACE } from '../../lib/mqtt-contract.js';
import { ensureDemoAccounts, type DemoAccounts } from './accounts.js';
import { attachDrillRunner, drillScenarioRoutes, type DrillRunner } from './drill-runner.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PROFILES = join(HERE, '../../agent/profiles');
export const DEMO_SITE = 'sim1';
export const DEMO_AGENT = 'edge-1';
export const DEMO_FIRE_AGENT = 'edge-1-fire';

export interface DemoOptions {
  /** Kept between runs: records, points, agent queue, fire journal (default ./var/demo). */
  dataDir: string;
  /** HTTP port (0 = any free port; default 8080). */
  port?: number;
  host?: string;
  /** Simulator seconds per wall second while calm (default 1). */
  timeScale?: number;
  /** Simulator time-scale while a drill runs (default 10), so a drill takes minutes, not an hour. */
  drillTimeScale?: number;
  resetPasswords?: boolean;
  log?: Logger;
}

export interface DemoHandle {
  url: string;
  consoleUrl: string;
  brokerUrl: string;
  dataDir: string;
  sim: SimHandle;
  server: RunningServer;
  /** The edge box (agent + fire runtime) child process. */
  edge: EdgeProcess;
  drills: DrillRunner;
  accounts: DemoAccounts;
  /** Devices of the simulator the agent could not read (no agent profile for them yet). */
  skippedDevices: string[];
  /** Wall time from start to everything up, ms, and per phase. */
  startupMs: number;
  phases: Record<string, number>;
  /** After stop(): how long each part took to stop, ms. */
  stopTimes: Record<string, number>;
  stop(): Promise<void>;
}

/** A per-data-dir HMAC key the server signs fire commands with and the edge checks (0600). */
function commandKey(dataDir: string): string {
  const file = join(dataDir, 'command.key');
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
}

/** Longest wait for one part of the stack to stop before going on to the next. */
const STOP_STEP_LIMIT_MS = 10_000;

export function demoServerConfig(dataDir: string, brokerUrl: string, key: string): ServerConfig {
  const file = join(HERE, 'server.yaml');
  const cfg = parseServerConfig(readFileSync(file, 'utf8'), file);
  return { ...cfg, dataDir, broker: { url: brokerUrl }, agents: [{ id: DEMO_FIRE_AGENT, site: DEMO_SITE, key }] };
}

/** The agent config for the simulator: every device whose profile the agent has. */
export function demoAgentConfig(sim: SimHandle, brokerUrl: string, dataDir: string): { config: Record<string, unknown>; skipped: string[] } {
  const cfg = fromSim(sim.endpoints, { site: DEMO_SITE, agent: DEMO_AGENT, brokerUrl, dataDir, deviceBrokerUrl: brokerUrl });
  const skipped: string[] = [];
  const devices = (cfg.devices as Array<Record<string, unknown>>).filter((d) => {
    if (existsSync(join(PROFILES, `${String(d.profile)}.yaml`))) return true;
    skipped.push(String(d.id));
    return false;
  });
  // fromSim copies profile params into the mqtt section too; the schema takes them at device level only.
  for (const d of devices) if (d.mqtt && typeof d.mqtt === 'object') delete (d.mqtt as Record<string, unknown>).params;
  // Demo polling is gentler than the defaults (fast 250 ms) so the whole site fits a laptop.
  return { config: { ...cfg, devices, pollGroups: { fast: 1000, normal: 2000, slow: 10_000 }, telemetry: { heartbeatMs: 10_000 } }, skipped };
}

/** Fire zones, one per fire I/O device, with the BMS and camera of the same room when the agent reads them. */
export function demoFireZones(sim: SimHandle, agentDevices: Set<string>) {
  return sim.endpoints.filter((e) => e.profile === 'sim-fire-io').map((e) => {
    const room = e.room ?? e.id;
    const bms = sim.endpoints.find((x) => x.room === room && x.profile === 'sim-bms' && agentDevices.has(x.id))?.id;
    const camera = sim.endpoints.find((x) => x.room === room && x.id.startsWith('cam-') && agentDevices.has(x.id))?.id;
    return { id: e.zone ?? room, room, fireIo: e.id, ...(bms ? { bms } : {}), ...(camera ? { camera } : {}), racks: e.params?.racks ?? 8, rackIdPrefix: `${room}-R` };
  });
}

export async function startDemo(o: DemoOptions): Promise<DemoHandle> {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const mark = (name: string, since: number) => { phases[name] = Math.round(performance.now() - since); };
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const log = o.log ?? createLogger({ name: 'dcim-demo', level: process.env.DCIM_LOG_LEVEL ?? 'warn' });
  const stack: Array<[string, () => Promise<void>]> = [];
  const stopTimes: Record<string, number> = {};
  const stopAll = async () => {
    for (const [name, s] of stack.splice(0).reverse()) {
      const t1 = performance.now();
      // One part that hangs must not keep Ctrl-C from stopping the others.
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(() => { log.error({ part: name, limitMs: STOP_STEP_LIMIT_MS }, 'demo part did not stop in time; going on'); resolve(); }, STOP_STEP_LIMIT_MS);
      });
      await Promise.race([s().catch((err: Error) => log.error({ err: err.message, part: name }, 'demo stop step failed')), limit]);
      clearTimeout(timer);
      stopTimes[name] = Math.round(performance.now() - t1);
    }
  };
  try {
    let t = performance.now();
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0 });
    const brokerUrl = await broker.start();
    stack.push(['broker', () => broker.stop()]);
    mark('broker', t);

    // The edge child boots (Node, tsx, agent modules) while the rest starts; configured below.
    const edgeBoot = spawnEdge();
    stack.push(['edge-boot', () => edgeBoot.stop()]); // in case start-up fails before the edge is configured
    const key = commandKey(dataDir);
    const serverConfig = demoServerConfig(dataDir, brokerUrl, key);
    // The data plane is composed here rather than by startServer: the embedded broker (aedes)
    // speaks MQTT 3.1.1 without shared subscriptions, so ingest uses a plain subscription.
    t = performance.now();
    const store = createStore({ kind: 'duckdb', path: join(dataDir, 'points.duckdb') });
    await store.start();
    stack.push(['store', () => store.stop()]);
    mark('store', t);
    let runner: DrillRunner | null = null;
    const consolePlugin = async (app: FastifyInstance) => {
      await app.register(async (scope) => {
        scope.addHook('preValidation', requireRole({ min: 'viewer' }));
        await scope.register(dataRoutes, { store });
      });
      await app.register(consoleRoutes);
      await app.register(drillScenarioRoutes);
    };
    t = performance.now();
    // The simulator and the server start side by side; each registers its stop as soon as it is up.
    const started = await Promise.allSettled([
      (async () => {
        const t1 = performance.now();
        const s = await startSimulator({ brokerUrl, timeScale: o.timeScale ?? 1 });
        stack.push(['simulator', () => s.stop()]);
        mark('simulator', t1);
        return s;
      })(),
      (async () => {
        const t1 = performance.now();
        const s = await startServer({ config: serverConfig, log: log.child({ part: 'server' }), port: o.port ?? 8080, host: o.host ?? '127.0.0.1', consolePlugin, dataPlane: false });
        stack.push(['server', () => s.close()]);
        mark('server', t1);
        const t2 = performance.now();
        const a = await ensureDemoAccounts(s.ops.auth, s.ops.repos, s.firstAdmin, o.resetPasswords ?? false);
        mark('accounts', t2);
        return [s, a] as const;
      })(),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const sim = (started[0] as PromiseFulfilledResult<SimHandle>).value;
    const [srv, accounts] = (started[1] as PromiseFulfilledResult<readonly [RunningServer, DemoAccounts]>).value;
    const ops = srv.ops;
    const ingest = await startIngest({
      brokerUrl, store, log: log.child({ part: 'ingest' }), clientId: `dcim-demo-ingest-${process.pid}`,
      subscription: `${NAMESPACE}/+/+/#`, protocolVersion: 4,
      onPoints: (points, b) => ops.onPoints(points, b.agent),
    });
    stack.push(['ingest', () => ingest.stop()]);

    t = performance.now();
    const agentCfg = demoAgentConfig(sim, brokerUrl, join(dataDir, 'agent'));
    const agentDevices = new Set((agentCfg.config.devices as Array<{ id: string }>).map((d) => d.id));
    const fireDevices = sim.endpoints.filter((e) => e.profile === 'sim-fire-io');
    const edgeCfg: EdgeConfig = {
      agent: agentCfg.config, baseDir: dataDir, logLevel: process.env.DCIM_LOG_LEVEL ?? 'warn',
      fire: {
        site: DEMO_SITE, agent: DEMO_FIRE_AGENT, journalDir: join(dataDir, 'fire'), broker: brokerUrl, commandKey: key, pollMs: 500,
        fire: { zones: demoFireZones(sim, agentDevices) },
        devices: fireDevices.map((e) => ({ id: e.id, host: e.host, port: e.port!, unitId: e.unitIds?.[0] ?? 1, racks: e.params?.racks ?? 8 })),
      },
    };
    const edge = await edgeBoot.configure(edgeCfg, join(dataDir, 'edge.json'));
    stack.push(['edge', () => edge.stop()]); // stopped first (it still reports while the server is up); idempotent
    mark('edge', t);

    runner = attachDrillRunner({ ops, sim, calmTimeScale: o.timeScale ?? 1, drillTimeScale: o.drillTimeScale ?? 10, log: log.child({ part: 'drills' }) });
    stack.push(['drills', async () => runner?.stop()]);

    const startupMs = Math.round(performance.now() - t0);
    let stopping: Promise<void> | null = null;
    return {
      url: srv.url, consoleUrl: `${srv.url}/console/`, brokerUrl, dataDir, sim, server: srv, edge, drills: runner, accounts,
      skippedDevices: agentCfg.skipped, startupMs, phases, stopTimes,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
