/**
 * bench/alarm-latency: time from an agent's alarm event (published to a real Mosquitto broker)
 * to its arrival on a console's live stream (SSE over a real socket), p50/p95/p99/max, first idle
 * and then with the server under ingest load (telemetry batches through the data plane's ingest
 * into the embedded store, and a second console subscribed to points), then while the server drains a
 * backlog of telemetry published at once (as after a broker reconnect or a stall: big group commits).
 * Run: `npx tsx bench/alarm-latency.ts [events] [loadPointsPerSec] [backlogBatches]` (defaults 300, 20000, 100).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { silentLogger } from '../lib/log.js';
import { topic } from '../lib/mqtt-contract.js';
import type { WirePoint } from '../lib/points.js';
import { startServer } from '../server/main.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { sse, type SseClient } from '../test/server-ops/sse.js';

const EVENTS = Number(process.argv[2] ?? 300);
const LOAD_PPS = Number(process.argv[3] ?? 20_000);
const BACKLOG = Number(process.argv[4] ?? 100);
const PW = 'bench password 123';

function pct(xs: number[], p: number): number { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; }

async function measure(agent: MqttClient, stream: SseClient, n: number, seqStart: number, epoch: string): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    // 20 alarms, each toggling active/normal, so every event is a change the console must see.
    const k = seqStart + i;
    const id = `bench${k % 20}`;
    const active = Math.floor(k / 20) % 2 === 0;
    const sentAt = Date.now();
    const t0 = performance.now();
    const ev = { v: 1, site: 'sim1', agent: 'agent-1', epoch, seq: seqStart + i, sentAt, ts: sentAt, kind: 'alarm', zone: 'BR1', severity: 'P2',
      message: `bench ${i}`, data: { alarmId: id, class: 'alarm', active, latched: false, priority: 2 } };
    const got = stream.next((e) => e.event === 'alarm' && (e.data.alarm as { edgeId?: string; lastAt?: number }).edgeId === id && (e.data.alarm as { lastAt: number }).lastAt === sentAt, 60_000);
    agent.publish(topic('sim1', 'agent-1', 'event'), JSON.stringify(ev), { qos: 1 });
    await got;
    lat.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return lat;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'dcim-bench-lat-'));
  const broker = await startMosquitto();
  const server = await startServer({ log: silentLogger, port: 0, config: { site: 'sim1', dataDir: dir, broker: { url: broker.url }, auth: { scryptCost: 14 } } });
  const dataPlane = server.dataPlane;
  await server.ops.auth.createUser('console', 'viewer', PW);
  const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'console', password: PW }) });
  const cookie = `dcim_session=${/dcim_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]}`;
  const stream = await sse(`${server.url}/api/stream?topics=alarm`, { cookie });
  const pointsConsole = await sse(`${server.url}/api/stream?topics=status&points=*`, { cookie });
  const agent = mqtt.connect(broker.url, { clientId: 'bench-agent' });
  await new Promise<void>((r) => agent.once('connect', () => r()));

  await measure(agent, stream, 40, 1, 'warm'); // warm-up
  const idle = await measure(agent, stream, EVENTS, 1, 'idle');

  // Ingest load: batches of 2,000 points at LOAD_PPS from a second agent, while measuring.
  const loader = mqtt.connect(broker.url, { clientId: 'bench-load' });
  await new Promise<void>((r) => loader.once('connect', () => r()));
  let seq = 0; let sent = 0; let stop = false;
  const perTick = Math.max(1, Math.round(LOAD_PPS / 10));
  const load = (async () => {
    while (!stop) {
      const t = Date.now();
      for (let done = 0; done < perTick; done += 2000) {
        const n = Math.min(2000, perTick - done);
        const points: WirePoint[] = Array.from({ length: n }, (_, k) => ({ d: `bms-br${(k % 4) + 1}`, n: `rack.${(k % 100) + 1}.module.${(k % 17) + 1}.temperature.max`, v: 25 + (k % 10), t, q: 0 }));
        loader.publish(topic('sim1', 'agent-load', 'telemetry'), JSON.stringify({ v: 1, site: 'sim1', agent: 'agent-load', epoch: 'l', seq: ++seq, sentAt: t, points }), { qos: 1 });
        sent += n;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const loopIdle = monitorEventLoopDelay({ resolution: 5 });
  const t0 = Date.now();
  loopIdle.enable();
  const loaded = await measure(agent, stream, EVENTS, 1, 'loaded');
  loopIdle.disable();
  const secs = (Date.now() - t0) / 1000;
  stop = true; await load;
  const ingested = server.ops.counters.points;

  // Backlog: BACKLOG batches of 2,000 points published at once; alarms measured while it drains.
  const b0 = server.ops.counters.points;
  const t = Date.now();
  for (let i = 0; i < BACKLOG; i++) {
    const points: WirePoint[] = Array.from({ length: 2000 }, (_, k) => ({ d: `bms-br${(k % 4) + 1}`, n: `rack.${(k % 100) + 1}.module.${(k % 17) + 1}.temperature.max`, v: 25 + (k % 10), t: t - i, q: 0 }));
    loader.publish(topic('sim1', 'agent-load', 'telemetry'), JSON.stringify({ v: 1, site: 'sim1', agent: 'agent-load', epoch: 'l', seq: ++seq, sentAt: t - i, points }), { qos: 1 });
  }
  const loopBacklog = monitorEventLoopDelay({ resolution: 5 });
  loopBacklog.enable();
  const tb = Date.now();
  const backlog = await measure(agent, stream, Math.max(20, Math.round(EVENTS / 3)), 1, 'backlog');
  loopBacklog.disable();
  const drained = server.ops.counters.points - b0;
  const drainSecs = (Date.now() - tb) / 1000;

  const row = (name: string, xs: number[]) => `${name.padEnd(28)} n=${String(xs.length).padStart(4)}  p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms  p95 ${pct(xs, 95).toFixed(1).padStart(6)} ms  p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms  max ${Math.max(...xs).toFixed(1).padStart(6)} ms`;
  process.stdout.write([
    `alarm latency: agent event → MQTT (Mosquitto) → server (ops link; ${dataPlane ? 'ingest + embedded store running' : 'no data plane'}) → SSE console; ${cpus().length} cores, node ${process.version}`,
    row('idle', idle),
    row(`ingest load (${Math.round(sent / secs)} pts/s sent)`, loaded),
    `points received by the operational side during the loaded run: ${ingested} (${Math.round(ingested / secs)}/s); console point batches: ${pointsConsole.events.filter((e) => e.event === 'points').length}; coalesced: ${server.ops.hub.stats.coalesced}`,
    `event-loop delay during the loaded run (same process: ingest, store, server, bench clients): p50 ${(loopIdle.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopIdle.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopIdle.max / 1e6).toFixed(1)} ms; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
    row(`backlog of ${BACKLOG} × 2000 points`, backlog),
    `backlog: ${drained} points reached the operational side in ${drainSecs.toFixed(1)} s of measuring; event-loop delay p99 ${(loopBacklog.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopBacklog.max / 1e6).toFixed(1)} ms`,
    '',
  ].join('\n'));

  stream.close(); pointsConsole.close();
  await loader.endAsync(); await agent.endAsync();
  await server.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack}\n`); process.exit(1); });
