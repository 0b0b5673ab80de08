/**
 * The demo's edge box, run as a child process (server/demo/edge.ts spawnEdge; config over IPC) so it
 * has a core of its own, as a real edge agent would: the agent (telemetry of every device) and
 * the fire runtime (own Modbus links to the fire I/O, signed commands), with the agent's BMS and
 * camera points fed to the fire runtime. Prints `READY {...}` once started; stops on SIGTERM,
 * SIGINT or when the parent goes away (IPC disconnect).
 */
import { createLogger } from '../../lib/log.js';
import { resolveAgentConfig } from '../../agent/config/load.js';
import { createAgent } from '../../agent/agent.js';
import { startFireHost } from '../../agent/fire/host.js';
import type { EdgeConfig } from './edge.js';

// The parent sends the config over IPC once the simulator's endpoints are known; the heavy
// imports above have loaded meanwhile.
const exitEarly = () => process.exit(0);
process.once('disconnect', exitEarly);
const cfg = await new Promise<EdgeConfig>((resolve) => process.once('message', (m) => resolve((m as { config: EdgeConfig }).config)));
process.off('disconnect', exitEarly);
const log = createLogger({ name: 'dcim-edge', level: cfg.logLevel ?? 'warn' });
const loaded = resolveAgentConfig(cfg.agent, { baseDir: cfg.baseDir });
const agent = createAgent({ loaded, log: log.child({ part: 'agent' }), fsync: 'interval' });
const [, fire] = await Promise.all([agent.start(), startFireHost(cfg.fire, { log: log.child({ part: 'fire' }) })]);
const fireIo = new Set(cfg.fire.devices.map((d) => d.id));
agent.onPoints((pts) => {
  const other = pts.filter((p) => !fireIo.has(p.device));
  if (other.length) fire.runtime.ingest(other);
});
process.stdout.write(`READY ${JSON.stringify({ pid: process.pid, healthPort: agent.healthPort, devices: loaded.devices.length, zones: [...fire.runtime.zones.keys()] })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const times: Record<string, number> = {};
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn().catch((err: Error) => log.error({ err: err.message, step: name }, 'edge stop step failed'));
    times[name] = Math.round(performance.now() - t);
  };
  await step('fire-io', () => Promise.all(fire.ios.map((io) => io.stop())));
  await step('fire-runtime', () => fire.runtime.stop());
  await step('fire-mqtt', async () => fire.mqtt?.stop());
  await step('agent', () => agent.stop());
  log.info({ stopMs: times }, 'edge stopped');
  process.exit(0);
};
process.on('SIGTERM', () => { void stop(); });
process.on('SIGINT', () => { /* the parent stops us in order */ });
process.on('disconnect', () => { void stop(); });
