/**
 * Telemetry and store-and-forward figures (issue 3): disk buffer add/drain rates per fsync policy;
 * points/s through report-by-exception → batches → disk queue → MQTT (real Mosquitto, QoS 1) →
 * a subscriber; replay rate of a backlog after a broker outage.
 *
 *   npx tsx bench/agent-telemetry.ts [--points 200000] [--batch 1000] [--backlog 300] [--fsync interval|always|never]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../lib/log.js';
import type { Point } from '../lib/points.js';
import { DiskBuffer, type FsyncPolicy } from '../agent/buffer/index.js';
import { Metrics } from '../agent/health/metrics.js';
import { Telemetry } from '../agent/telemetry/telemetry.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { collect, BROKER_KEEPS_SESSIONS } from '../test/agent/helpers.js';

const { values: o } = parseArgs({ options: { points: { type: 'string', default: '200000' }, batch: { type: 'string', default: '1000' }, backlog: { type: 'string', default: '300' }, fsync: { type: 'string', default: 'interval' } } });
const POINTS = Number(o.points);
const BATCH = Number(o.batch);
const BACKLOG = Number(o.backlog);
const FSYNC = o.fsync as FsyncPolicy;
const ms = (t0: number) => performance.now() - t0;

function batchBody(seq: number, n: number): string {
  const points = Array.from({ length: n }, (_, i) => ({ d: 'bms-br1', n: `rack.${i % 100}.module.${i % 17}.temperature.max`, v: 25 + (i % 10) / 10, t: 1_700_000_000_000 + seq, q: 0 }));
  return JSON.stringify({ v: 1, site: 'sim1', agent: 'bench', epoch: 'e', seq, sentAt: 1_700_000_000_000, points });
}

async function bufferBench(): Promise<void> {
  const body = batchBody(1, 500);
  for (const fsync of ['always', 'interval', 'never'] as FsyncPolicy[]) {
    const dir = mkdtempSync(join(tmpdir(), 'dcim-bench-buf-'));
    const b = DiskBuffer.open({ dir, maxBytes: 1 << 30, fsync, fsyncIntervalMs: 1000 });
    const n = fsync === 'always' ? 500 : 3000;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) b.add({ stream: 'telemetry', seq: b.nextSeq('telemetry'), sentAt: 0, body });
    const addMs = ms(t0);
    t0 = performance.now();
    while (b.len) { const tx = b.begin(16); b.end(tx, true); }
    const drainMs = ms(t0);
    await b.close();
    rmSync(dir, { recursive: true, force: true });
    const mb = (n * body.length) / 1e6;
    console.log(`disk buffer fsync=${fsync.padEnd(6)} add ${(n / (addMs / 1000)).toFixed(0).padStart(6)} batches/s (${(mb / (addMs / 1000)).toFixed(1)} MB/s, 500 points each) drain ${(n / (drainMs / 1000)).toFixed(0)} batches/s`);
  }
}

async function linkBench(): Promise<void> {
  const broker = await startMosquitto(BROKER_KEEPS_SESSIONS);
  const dir = mkdtempSync(join(tmpdir(), 'dcim-bench-tel-'));
  try {
    const sub = await collect(broker.url, 'sim1', 'bench', 'bench-sub');
    const buffer = DiskBuffer.open({ dir, maxBytes: 1 << 30, fsync: FSYNC, fsyncIntervalMs: 1000 });
    const t = new Telemetry({
      site: 'sim1', agent: 'bench', version: 'bench', link: { url: broker.url, reconnectPeriodMs: 100, window: 32 },
      batchMaxPoints: BATCH, batchMaxMs: 1000, rbe: { deadband: 0, heartbeatMs: 60_000 },
      birth: () => ({ v: 1, site: 'sim1', agent: 'bench', version: 'bench', configHash: 'x', devices: [] }),
    }, buffer, silentLogger, new Metrics());
    t.start();
    while (t.linkState !== 'up') await new Promise((r) => setTimeout(r, 20));
    const cycle = 1000;
    let v = 0;
    const rss0 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let sent = 0; sent < POINTS; sent += cycle) {
      v++;
      const pts: Point[] = Array.from({ length: cycle }, (_, i) => ({ site: 'sim1', device: 'bms-br1', name: `rack.${i % 100}.module.${i % 17}.t${i}`, value: v, ts: Date.now(), quality: 'good' }));
      t.publishPoints(pts);
      if (v % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    t.flush();
    while (sub.telemetry.reduce((a, b) => a + b.points.length, 0) < POINTS) await new Promise((r) => setTimeout(r, 5));
    const took = ms(t0);
    const cpu = process.cpuUsage(cpu0);
    console.log(`telemetry → Mosquitto → subscriber: ${POINTS} points in ${sub.telemetry.length} batches, ${(POINTS / (took / 1000)).toFixed(0)} points/s end to end (disk queue fsync ${FSYNC}, QoS 1); CPU ${((cpu.user + cpu.system) / 1000 / took * 100).toFixed(0)} % of one core (agent + subscriber in this process), RSS +${((process.memoryUsage().rss - rss0) / 1e6).toFixed(0)} MB`);

    await broker.stop();
    while (t.linkState === 'up') await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < BACKLOG; i++) {
      v++;
      t.publishPoints(Array.from({ length: BATCH }, (_, k) => ({ site: 'sim1', device: 'bms-br1', name: `p${k}`, value: v, ts: Date.now(), quality: 'good' as const })));
    }
    t.flush();
    const before = sub.telemetry.length;
    const queued = buffer.lenOf('telemetry');
    await broker.start();
    const r0 = performance.now();
    while (buffer.len > 0 || sub.telemetry.length < before + queued) await new Promise((r) => setTimeout(r, 5));
    const replay = ms(r0);
    console.log(`replay after outage: ${queued} batches (${queued * BATCH} points) in ${replay.toFixed(0)} ms from broker start (incl. reconnect), ${(queued / (replay / 1000)).toFixed(0)} batches/s`);
    await t.stop();
    await buffer.close();
    await sub.close();
  } finally {
    await broker.stop();
    rmSync(broker.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await bufferBench();
await linkBench();
