/**
 * Control HTTP API on 127.0.0.1 (node:http, port 0 by default). JSON in and out, except
 * GET /writes (JSONL). Errors: 400 {error} for bad input, 404 for unknown things.
 *
 *   GET    /endpoints                 every device endpoint
 *   GET    /truth[?devices=0]         the true state (devices: what each Modbus device reports)
 *   GET    /scenarios                 available and started scenarios
 *   POST   /scenarios/{name}/start    body {room?, rack?}; → {name, startedAtS}
 *   GET    /faults                    active faults
 *   POST   /faults                    body: fault spec; → 201 {id}
 *   DELETE /faults/{id}               → 204, or 404
 *   GET    /writes                    JSONL write log
 *   POST   /time-scale                body {timeScale}; → {timeScale}
 *   POST   /advance                   body {seconds}: step the sim clock at once; → {simTimeS}
 *   POST   /write                     body {device, point, value}: write a writable point as a client would (drills, by hand)
 *   POST   /maintenance               body {room, action, rack?}: replace-patch | refill-nozzle | refill-gas | empty-tank
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MaintenanceAction, Simulator } from './simulator.js';
import { FaultSpecError } from './fault-spec.js';
import { ScenarioError, listScenarios } from './scenario.js';
import { buildTruth } from './truth.js';
import { ConfigError } from '../lib/config/load.js';
import { closeHttpServer } from '../lib/http-close.js';

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const MAX_BODY = 64 * 1024;

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try { return JSON.parse(text); } catch { throw new HttpError(400, 'body is not valid JSON'); }
}

const json = (res: ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
};

export class ControlApi {
  private server: Server | null = null;
  url = '';

  constructor(private readonly sim: Simulator) {}

  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => { void this.handle(req, res); });
    this.server = server;
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', () => resolve()); });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    try {
      let m: RegExpMatchArray | null;
      if (method === 'GET' && path === '/endpoints') return json(res, 200, this.sim.endpoints());
      if (method === 'GET' && path === '/truth') return json(res, 200, buildTruth(this.sim, listScenarios(), { devices: url.searchParams.get('devices') !== '0' }));
      if (method === 'GET' && path === '/scenarios') return json(res, 200, { available: listScenarios(), started: this.sim.scenarios });
      if (method === 'POST' && (m = path.match(/^\/scenarios\/([^/]+)\/start$/))) {
        const b = (await body(req)) as { room?: unknown; rack?: unknown };
        if (b.room !== undefined && typeof b.room !== 'string') throw new HttpError(400, 'room must be a string like BR1');
        if (b.rack !== undefined && !Number.isInteger(b.rack)) throw new HttpError(400, 'rack must be an integer');
        const run = this.sim.startScenario(decodeURIComponent(m[1]!), { ...(b.room ? { room: b.room as string } : {}), ...(b.rack ? { rack: b.rack as number } : {}) });
        return json(res, 200, run);
      }
      if (method === 'GET' && path === '/faults') return json(res, 200, this.sim.activeFaults());
      if (method === 'POST' && path === '/faults') return json(res, 201, { id: await this.sim.injectFault(await body(req)) });
      if (method === 'DELETE' && (m = path.match(/^\/faults\/([^/]+)$/))) {
        if (!this.sim.clearFault(decodeURIComponent(m[1]!))) throw new HttpError(404, `no active fault '${m[1]}'`);
        res.writeHead(204); res.end(); return;
      }
      if (method === 'GET' && path === '/writes') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.end(this.sim.writes.jsonl());
        return;
      }
      if (method === 'POST' && path === '/time-scale') {
        const b = (await body(req)) as { timeScale?: unknown };
        if (typeof b.timeScale !== 'number') throw new HttpError(400, 'body must be {"timeScale": number}');
        this.sim.setTimeScale(b.timeScale);
        return json(res, 200, { timeScale: this.sim.timeScale });
      }
      if (method === 'POST' && path === '/advance') {
        const b = (await body(req)) as { seconds?: unknown };
        if (typeof b.seconds !== 'number' || !(b.seconds >= 0) || b.seconds > 86400 * 7) throw new HttpError(400, 'body must be {"seconds": 0..604800}');
        this.sim.advance(b.seconds);
        return json(res, 200, { simTimeS: this.sim.model.now });
      }
      if (method === 'POST' && path === '/write') {
        const b = (await body(req)) as { device?: unknown; point?: unknown; value?: unknown };
        if (typeof b.device !== 'string' || typeof b.point !== 'string' || (typeof b.value !== 'number' && typeof b.value !== 'boolean')) {
          throw new HttpError(400, 'body must be {"device": string, "point": string, "value": number | boolean}');
        }
        const server = this.sim.server(b.device);
        if (!server) throw new HttpError(404, `no Modbus device '${b.device}'`);
        server.writeByName(b.point, b.value, 'control-api');
        return json(res, 200, { device: b.device, point: b.point, value: b.value, simTimeS: this.sim.model.now });
      }
      if (method === 'POST' && path === '/maintenance') {
        const b = (await body(req)) as { room?: unknown; action?: unknown; rack?: unknown };
        if (typeof b.room !== 'string' || typeof b.action !== 'string' || (b.rack !== undefined && !Number.isInteger(b.rack))) {
          throw new HttpError(400, 'body must be {"room": "BR1", "action": "replace-patch|refill-nozzle|refill-gas|empty-tank", "rack"?: n}');
        }
        this.sim.maintain(b.room, b.action as MaintenanceAction, b.rack as number | undefined);
        return json(res, 200, { room: b.room, action: b.action, simTimeS: this.sim.model.now });
      }
      throw new HttpError(404, `no route ${method} ${path}`);
    } catch (err) {
      const e = err as Error;
      const status = err instanceof HttpError ? err.status
        : err instanceof FaultSpecError || err instanceof RangeError || err instanceof ConfigError ? 400
        : err instanceof ScenarioError ? (/unknown scenario/.test(e.message) ? 404 : 400) : 500;
      json(res, status, { error: e.message });
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await closeHttpServer(s);
  }
}
