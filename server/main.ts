/**
 * The server process (STYLE.md lesson 15): logger, timeouts, the data plane (store + ingest)
 * when configured, the operational side, the HTTP listener and a graceful close that stops in
 * reverse order. `server/cli.ts` (`dcim server --config FILE`) and the demo call `startServer`.
 */
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createLogger, type Logger } from '../lib/log.js';
import type { ServerConfig } from './config.js';
import { buildApp } from './app.js';
import { createOps, type Ops } from './ops.js';
import { OpsLink } from './commands/link.js';

export interface StartOptions {
  config: ServerConfig;
  log?: Logger;
  /** Override listen.port (0 = any free port). */
  port?: number;
  host?: string;
  /** Use the data plane (server/store + server/ingest) when available (default true). */
  dataPlane?: boolean;
  consolePlugin?: FastifyPluginAsync;
  now?: () => number;
  /** How long start waits for the broker before going on without it (default 5000 ms; it keeps reconnecting). */
  brokerWaitMs?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  ops: Ops;
  url: string;
  /** True when the data plane (store, ingest, data routes) runs in this process. */
  dataPlane: boolean;
  /** Set on first run only: the generated admin password, to print once. */
  firstAdmin: { username: string; password: string } | null;
  close(): Promise<void>;
}

interface DataPlane { store: { start(): Promise<void>; stop(): Promise<void> }; stop(): Promise<void>; dataRoutes?: FastifyPluginAsync<{ store: never }> }

/** The broker password from the environment variable the config names (never from the file itself). */
function brokerPassword(cfg: ServerConfig): string | undefined {
  return cfg.broker?.passwordEnv ? process.env[cfg.broker.passwordEnv] : undefined;
}

/** Load the data plane dynamically so the operational side works while it is absent or incomplete. */
async function startDataPlane(cfg: ServerConfig, ops: Ops, log: Logger): Promise<DataPlane | null> {
  const storeSpec = './store/index.js'; const ingestSpec = './ingest/ingest.js'; const routesSpec = './routes/data.js';
  let storeMod: { createStore(c: unknown): DataPlane['store'] };
  try { storeMod = await import(storeSpec); } catch (err) { log.warn({ err: (err as Error).message }, 'data plane store not available: running without it'); return null; }
  const dataDir = cfg.dataDir ?? 'data';
  const store = storeMod.createStore(cfg.store ?? { kind: 'duckdb', path: join(dataDir, 'points.duckdb') });
  await store.start();
  let ingest: { stop(): Promise<void> } | null = null;
  if (cfg.broker) {
    const ingestMod = await import(ingestSpec) as { startIngest(o: unknown): Promise<{ stop(): Promise<void> }> };
    // Without a broker, ingest returns after a short wait and subscribes when the broker comes;
    // a refused login (wrong broker.username / passwordEnv) stops the start with that reason.
    ingest = await ingestMod.startIngest({
      brokerUrl: cfg.broker.url, username: cfg.broker.username, password: brokerPassword(cfg), clientId: cfg.broker.clientId,
      store, log: log.child({ c: 'ingest' }),
      onEvent: (ev: Parameters<Ops['onEvent']>[0]) => ops.onEvent(ev),
      onPoints: (points: Parameters<Ops['onPoints']>[0], b: { agent: string }) => ops.onPoints(points, b.agent),
      onStatus: (s: { site: string; agent: string; state: string; ts: number }) => ops.onAgentStatus(s.site, s.agent, s.state === 'online', s.ts),
    }).catch(async (err: unknown) => { await store.stop().catch(() => undefined); throw err; });
  }
  let dataRoutes: DataPlane['dataRoutes'];
  try { dataRoutes = ((await import(routesSpec)) as { dataRoutes: DataPlane['dataRoutes'] }).dataRoutes; } catch { dataRoutes = undefined; }
  return { store, dataRoutes, async stop() { await ingest?.stop(); await store.stop(); } };
}

export async function startServer(o: StartOptions): Promise<RunningServer> {
  const cfg = o.config;
  const log = o.log ?? createLogger({ name: 'dcim-server' });
  const ops = await createOps({ config: cfg, log, now: o.now });
  let data: DataPlane | null = null;
  let link: OpsLink | null = null;
  let app: FastifyInstance | null = null;
  const stopAll = async () => {
    await app?.close();
    await link?.stop();
    await data?.stop();
    await ops.close();
  };
  try {
    const firstAdmin = await ops.auth.ensureFirstAdmin();
    data = o.dataPlane === false ? null : await startDataPlane(cfg, ops, log);
    if (cfg.broker) {
      // Every replica subscribes to events and agent status itself (not shared): each one's consoles
      // must see every alarm at once, without waiting for the store write. Events also arriving
      // through ingest's onEvent are deduplicated by (agent, epoch, seq) in ops.onEvent.
      link = new OpsLink(ops, { url: cfg.broker.url, username: cfg.broker.username, password: brokerPassword(cfg), events: true }, log.child({ c: 'link' }));
      await link.start(o.brokerWaitMs);
    }
    app = await buildApp({ ops, store: data?.store, dataRoutes: data?.dataRoutes, consolePlugin: o.consolePlugin, logger: log.child({ c: 'http' }) });
    app.server.requestTimeout = 30_000;
    app.server.headersTimeout = 15_000;
    app.server.keepAliveTimeout = 5_000;
    const url = await app.listen({ host: o.host ?? cfg.listen?.host ?? '127.0.0.1', port: o.port ?? cfg.listen?.port ?? 8080 });
    ops.start();
    log.info({ url }, 'server listening');
    let closing: Promise<void> | null = null;
    return {
      app, ops, url, firstAdmin, dataPlane: data !== null,
      close() { closing ??= stopAll(); return closing; },
    };
  } catch (err) {
    // Whatever started is stopped again, so a failed start leaves nothing open.
    await stopAll().catch(() => undefined);
    throw err;
  }
}
