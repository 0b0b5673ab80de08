/**
 * The local control endpoint of the fire runtime (FS-32: human-authority actions stay possible
 * at the edge when the server, broker or network is gone). HTTP over a unix socket, so only
 * users of this host reach it; commands must still be signed, with the local key file (0600,
 * created by the agent), and go through the same intake as MQTT commands (verify, sequence,
 * journal, dispatch).
 *
 *   POST /cmd            body: a signed EdgeCommand → CommandResult
 *   GET  /state          → { now, zones: [state documents] }
 *   GET  /journal?zone=Z&after=N → { records: [...] }   (for drills and post-incident reading)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { CommandResult } from '../../lib/mqtt-contract.js';
import type { JournalRecord } from './journal.js';
import { closeHttpServer } from '../../lib/http-close.js';

export const LOCAL_ISSUER = 'local-cli';

export interface LocalControlOptions {
  socket: string;
  handleCommand: (body: unknown) => Promise<CommandResult>;
  state: () => unknown[];
  /** The runtime's clock (drills relate journal times to it). */
  now: () => number;
  journal: (zone: string, after: number) => JournalRecord[] | null;
}

/** Read the local key, creating it (random, mode 0600) when absent. */
export function ensureLocalKey(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readKeyFile(file);
}

export function readKeyFile(file: string): string {
  const key = readFileSync(file, 'utf8').split('\n')[0]!.trim();
  if (key.length < 16) throw new Error(`key file ${file} holds a key shorter than 16 characters; write a longer secret on its first line`);
  return key;
}

export class LocalControlServer {
  private server: Server | null = null;

  constructor(private readonly o: LocalControlOptions) {}

  async start(): Promise<void> {
    mkdirSync(dirname(this.o.socket), { recursive: true });
    // A socket file left by a killed agent would make listen() fail; it carries no data.
    if (existsSync(this.o.socket)) unlinkSync(this.o.socket);
    const server = createServer((req, res) => { void this.route(req, res); });
    this.server = server;
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.o.socket, () => resolve()); });
    chmodSync(this.o.socket, 0o600);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await closeHttpServer(s);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (code: number, body: unknown) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      if (req.method === 'POST' && url.pathname === '/cmd') {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of req) { size += (c as Buffer).length; if (size > 64 * 1024) return send(413, { error: 'command too large' }); chunks.push(c as Buffer); }
        const result = await this.o.handleCommand(Buffer.concat(chunks));
        return send(result.ok || result.status !== 'rejected' ? 200 : 409, result);
      }
      if (req.method === 'GET' && url.pathname === '/state') return send(200, { now: this.o.now(), zones: this.o.state() });
      if (req.method === 'GET' && url.pathname === '/journal') {
        const zone = url.searchParams.get('zone') ?? '';
        const records = this.o.journal(zone, Number(url.searchParams.get('after') ?? 0));
        return records ? send(200, { records }) : send(404, { error: `no zone '${zone}'` });
      }
      send(404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (err) {
      send(500, { error: (err as Error).message });
    }
  }
}

/** A request to the local endpoint over its unix socket (used by the CLI and drills). */
export function localRequest(socket: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 15_000): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request({ socketPath: socket, method, path, timeout: timeoutMs, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }); } catch { resolve({ status: res.statusCode ?? 0, body: text }); }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${socket} within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(new Error(`cannot reach the fire runtime at ${socket}: ${err.message} (is the agent running? --socket PATH)`)));
      if (data) req.write(data);
      req.end();
    }, reject);
  });
}
