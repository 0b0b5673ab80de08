/**
 * One Modbus TCP connection per endpoint (host:port), shared by every device behind it (a
 * gateway with many unit ids): exactly one request in flight, a bounded FIFO queue (writes jump
 * ahead of reads), lazy (re)connect, and errors classified into quality reasons.
 */
import ModbusSerial from 'modbus-serial';

type ClientCtor = typeof ModbusSerial.default;
/** modbus-serial is CommonJS: its class is module.exports (and module.exports.default). */
export const ModbusRTU: ClientCtor = (ModbusSerial as unknown as { default?: ClientCtor }).default ?? (ModbusSerial as unknown as ClientCtor);

/** A failed request, with the quality reason it maps to. */
export class ModbusRequestError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = 'ModbusRequestError';
  }
}

/** timeout, comm_failure, exception_<code>, parse_error, queue_full. */
export function classify(err: unknown): ModbusRequestError {
  if (err instanceof ModbusRequestError) return err;
  const e = err as { modbusCode?: number; errno?: string; code?: string; message?: string; name?: string };
  const msg = e?.message ?? String(err);
  if (typeof e?.modbusCode === 'number') return new ModbusRequestError(`exception_${e.modbusCode}`, msg);
  if (e?.errno === 'ETIMEDOUT' || e?.name === 'TransactionTimedOutError' || /timed out/i.test(msg)) return new ModbusRequestError('timeout', msg);
  if (e?.name === 'RangeError' || (/length|crc|unexpected|invalid/i.test(msg) && !/port/i.test(msg))) return new ModbusRequestError('parse_error', msg);
  return new ModbusRequestError('comm_failure', msg);
}

export type Client = InstanceType<ClientCtor>;

export interface Job<T> {
  unitId: number;
  timeoutMs: number;
  /** Wait this long after (re)connecting before the first request (device workaround). */
  pauseAfterConnectMs: number;
  priority?: boolean;
  /** Who queued it (a device id), so `cancel(owner)` can drop a stopped device's requests. */
  owner?: string;
  run(client: Client): Promise<T>;
}

interface Queued {
  job: Job<unknown>;
  resolve(v: unknown): void;
  reject(e: ModbusRequestError): void;
}

export interface EndpointStats {
  requests: number;
  failures: number;
  connects: number;
  maxInFlight: number;
  queueFull: number;
}

export class ModbusEndpoint {
  readonly key: string;
  private client: Client | null = null;
  private readonly queue: Queued[] = [];
  private busy = false;
  private inFlight = 0;
  private closed = false;
  private current: Queued | null = null;
  readonly stats: EndpointStats = { requests: 0, failures: 0, connects: 0, maxInFlight: 0, queueFull: 0 };

  constructor(readonly host: string, readonly port: number, readonly maxQueue: number) {
    this.key = `${host}:${port}`;
  }

  get queueDepth(): number { return this.queue.length; }
  get connected(): boolean { return Boolean(this.client?.isOpen); }

  /** Queue a request; rejects with ModbusRequestError (queue_full when the queue is at its bound). */
  request<T>(job: Job<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ModbusRequestError('comm_failure', `${this.key}: endpoint closed`));
    if (this.queue.length >= this.maxQueue) {
      this.stats.queueFull++;
      return Promise.reject(new ModbusRequestError('queue_full', `${this.key}: ${this.queue.length} requests queued (maxQueue)`));
    }
    return new Promise<T>((resolve, reject) => {
      const q: Queued = { job: job as Job<unknown>, resolve: resolve as (v: unknown) => void, reject };
      if (job.priority) {
        const at = this.queue.findIndex((x) => !x.job.priority);
        if (at < 0) this.queue.push(q); else this.queue.splice(at, 0, q);
      } else this.queue.push(q);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let q = this.queue.shift(); q; q = this.queue.shift()) {
        this.current = q;
        this.inFlight++;
        this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
        this.stats.requests++;
        try {
          q.resolve(await this.execute(q.job));
        } catch (err) {
          this.stats.failures++;
          const e = classify(err);
          // After garbage or a timeout the byte stream may hold a partial or late frame:
          // reconnect before the next request so framing starts clean.
          if (e.reason === 'parse_error' || e.reason === 'timeout') this.dropClient();
          q.reject(e);
        } finally {
          this.inFlight--;
          this.current = null;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async execute(job: Job<unknown>): Promise<unknown> {
    if (this.closed) throw new ModbusRequestError('comm_failure', `${this.key}: endpoint closed`);
    if (!this.client?.isOpen) await this.connect(job);
    const client = this.client!;
    client.setID(job.unitId);
    client.setTimeout(job.timeoutMs);
    // A socket that closes mid-request fails the request now rather than at its timeout.
    return await new Promise((resolve, reject) => {
      const onClose = () => reject(new ModbusRequestError('comm_failure', `${this.key}: connection closed`));
      const events = client as unknown as NodeJS.EventEmitter;
      events.once('close', onClose);
      job.run(client).then(resolve, reject).finally(() => events.removeListener('close', onClose));
    });
  }

  private async connect(job: Job<unknown>): Promise<void> {
    this.dropClient();
    const client = new ModbusRTU();
    // modbus-serial emits 'error' on socket errors: without a listener that would crash the agent.
    client.on('error', () => undefined);
    this.stats.connects++;
    let timer: NodeJS.Timeout | undefined;
    const connecting = client.connectTCP(this.host, { port: this.port });
    connecting.catch(() => undefined); // a connect that loses the race must not become an unhandled rejection
    try {
      await Promise.race([
        connecting,
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new ModbusRequestError('timeout', `${this.key}: connect timed out after ${job.timeoutMs} ms`)), job.timeoutMs); }),
      ]);
    } catch (err) {
      destroy(client);
      const e = classify(err);
      throw e.reason === 'timeout' ? e : new ModbusRequestError('comm_failure', `${this.key}: cannot connect: ${e.message}`);
    } finally {
      clearTimeout(timer);
    }
    this.client = client;
    if (job.pauseAfterConnectMs > 0) await new Promise((r) => setTimeout(r, job.pauseAfterConnectMs));
  }

  private dropClient(): void {
    if (this.client) destroy(this.client);
    this.client = null;
  }

  /** Fail the queued (not yet sent) requests of one owner. */
  cancel(owner: string): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i]!;
      if (q.job.owner === owner) { this.queue.splice(i, 1); q.reject(new ModbusRequestError('comm_failure', `${this.key}: cancelled (${owner} stopped)`)); }
    }
  }

  /** Fail everything queued and close the connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (let q = this.queue.shift(); q; q = this.queue.shift()) q.reject(new ModbusRequestError('comm_failure', `${this.key}: endpoint closed`));
    this.dropClient();
  }
}

function destroy(client: Client): void {
  try {
    const port = (client as unknown as { _port?: { destroy?: (cb: () => void) => void; _client?: { destroy(): void } } })._port;
    if (port?._client) port._client.destroy();
    else client.close(() => undefined);
  } catch { /* already closed */ }
}

/** Endpoints shared by every Modbus device of one agent, keyed host:port. */
export class ModbusEndpointPool {
  private readonly endpoints = new Map<string, { ep: ModbusEndpoint; users: number }>();

  acquire(host: string, port: number, maxQueue: number): ModbusEndpoint {
    const key = `${host}:${port}`;
    let e = this.endpoints.get(key);
    if (!e) { e = { ep: new ModbusEndpoint(host, port, maxQueue), users: 0 }; this.endpoints.set(key, e); }
    e.users++;
    return e.ep;
  }

  async release(ep: ModbusEndpoint): Promise<void> {
    const e = this.endpoints.get(ep.key);
    if (!e || e.ep !== ep) return;
    if (--e.users <= 0) { this.endpoints.delete(ep.key); await ep.close(); }
  }

  get(key: string): ModbusEndpoint | undefined { return this.endpoints.get(key)?.ep; }
  all(): ModbusEndpoint[] { return [...this.endpoints.values()].map((e) => e.ep); }
}
