/**
 * The embedded MQTT broker (aedes) the agent starts when its config names no broker, so a
 * single agent runs with nothing else installed. In-memory: sessions do not survive a restart.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export const EMBEDDED_BROKER_PORT = 1883;

export class EmbeddedBrokerError extends Error {
  constructor(message: string) { super(message); this.name = 'EmbeddedBrokerError'; }
}

export class EmbeddedBroker {
  private server: Server | null = null;
  private broker: Aedes | null = null;

  constructor(private readonly opts: { host?: string; port?: number } = {}) {}

  /** Listen; resolves with the broker URL. */
  async start(): Promise<string> {
    const broker = await Aedes.createBroker();
    this.broker = broker;
    const server = createServer(broker.handle);
    this.server = server;
    const host = this.opts.host ?? '127.0.0.1';
    const port = this.opts.port ?? EMBEDDED_BROKER_PORT;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => { server.off('error', reject); resolve(); });
      });
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw new EmbeddedBrokerError(`cannot start the embedded MQTT broker on ${host}:${port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): set broker.url in the agent config to use a running broker`);
    }
    return `mqtt://${host}:${(server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    const b = this.broker;
    this.server = null;
    this.broker = null;
    if (b) await new Promise<void>((resolve) => b.close(() => resolve()));
    if (s?.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
