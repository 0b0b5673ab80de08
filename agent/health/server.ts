/**
 * The agent's local health endpoint: GET /metrics (Prometheus text) and GET /healthz (JSON).
 * Listens on `port` (0 → any free port; the bound port is returned by start()).
 */
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.js';
import { closeHttpServer } from '../../lib/http-close.js';

export interface HealthReport {
  /** ok: link up and every device up; degraded: something is down but the agent runs. */
  status: 'ok' | 'degraded';
  [k: string]: unknown;
}

export class HealthServer {
  private server: Server | null = null;

  constructor(private readonly opts: { host: string; port: number; metrics: Metrics; report: () => HealthReport }) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') { res.writeHead(405, { allow: 'GET' }).end(); return; }
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.opts.metrics.render());
      } else if (path === '/healthz') {
        const r = this.opts.report();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => { server.off('error', reject); resolve(); });
    });
    return (server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await closeHttpServer(s);
  }
}
