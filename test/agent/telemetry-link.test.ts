/**
 * Telemetry through a real Mosquitto: batches in order with sequence numbers, birth and retained
 * status, and store-and-forward across a broker outage (scaled down from 30 s to ~2 s: the agent's
 * behaviour does not depend on the outage length, only on the link being down while points flow).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { Point } from '../../lib/points.js';
import { MemoryBuffer } from '../../agent/buffer/memory.js';
import { Metrics } from '../../agent/health/metrics.js';
import { Telemetry } from '../../agent/telemetry/telemetry.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { BROKER_KEEPS_SESSIONS, collect, dedup, sleep } from './helpers.js';

let broker: Mosquitto;
beforeAll(async () => { broker = await startMosquitto(BROKER_KEEPS_SESSIONS); });
afterAll(async () => { await broker.stop(); rmSync(broker.dir, { recursive: true, force: true }); });

const pt = (name: string, value: number, ts: number): Point => ({ site: 's1', device: 'dev-1', name, value, ts, quality: 'good', unit: '°C' });

function makeTelemetry(agent: string, metrics = new Metrics()) {
  const buffer = new MemoryBuffer({ maxBytes: 10_000_000 });
  const t = new Telemetry({
    site: 's1', agent, version: 'test',
    link: { url: broker.url, reconnectPeriodMs: 100, window: 4 },
    batchMaxPoints: 3, batchMaxMs: 50,
    rbe: { deadband: 0, heartbeatMs: 60_000, policyOf: (_d, n) => (n.startsWith('fire.') ? { fire: true } : undefined) },
    birth: () => ({ v: 1, site: 's1', agent, version: 'test', configHash: 'abc', devices: [{ id: 'dev-1', profile: 'p', protocol: 'modbus', points: [{ name: 'temp', unit: '°C' }] }] }),
  }, buffer, silentLogger, metrics);
  return { t, buffer, metrics };
}

describe('telemetry link', () => {
  it('publishes retained status and birth, then batches with sequence numbers in order', async () => {
    const sub = await collect(broker.url, 's1', 'a1');
    const { t } = makeTelemetry('a1');
    t.start();
    await waitFor(() => t.linkState === 'up', { what: 'link up' });
    for (let i = 0; i < 9; i++) t.publishPoints([pt(`p${i}`, i, 1000 + i)]);
    await waitFor(() => sub.telemetry.length >= 3, { what: '3 batches' });
    expect(sub.telemetry.map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(sub.telemetry.flatMap((b) => b.points.map((p) => p.n))).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
    expect(sub.telemetry[0]!.points[0]).toEqual({ d: 'dev-1', n: 'p0', v: 0, t: 1000, q: 0 });
    expect(sub.telemetry.every((b) => b.historical === undefined && b.epoch === t.epoch)).toBe(true);
    await waitFor(() => sub.retained.has('dcim/v1/s1/a1/birth'));
    expect(sub.retained.get('dcim/v1/s1/a1/status')).toMatchObject({ v: 1, state: 'online', epoch: t.epoch });
    expect(sub.retained.get('dcim/v1/s1/a1/birth')).toMatchObject({ agent: 'a1', epoch: t.epoch, devices: [{ id: 'dev-1', points: [{ name: 'temp', unit: '°C' }] }] });
    const seq = t.publishEvent({ ts: 5, kind: 'alarm', message: 'hello', severity: 'P2' });
    expect(seq).toBe(1);
    await waitFor(() => sub.events.length === 1);
    expect(sub.events[0]).toMatchObject({ v: 1, site: 's1', agent: 'a1', seq: 1, kind: 'alarm', message: 'hello', ts: 5 });
    await t.stop();
    await waitFor(() => (sub.retained.get('dcim/v1/s1/a1/status') as { state: string }).state === 'offline', { what: 'offline status' });
    await sub.close();
  });

  it('report-by-exception holds unchanged values back but never fire-relevant points', async () => {
    const sub = await collect(broker.url, 's1', 'a2');
    const { t } = makeTelemetry('a2');
    t.start();
    await waitFor(() => t.linkState === 'up');
    for (let i = 0; i < 4; i++) t.publishPoints([pt('temp', 21, 1000 + i), pt('fire.probe', 30, 1000 + i)]);
    t.publishPoints([pt('temp', 22, 2000)]);
    t.flush();
    await waitFor(() => sub.telemetry.flatMap((b) => b.points).length >= 6, { what: '6 points' });
    const pts = sub.telemetry.flatMap((b) => b.points);
    expect(pts.filter((p) => p.n === 'temp').map((p) => p.v)).toEqual([21, 22]);
    expect(pts.filter((p) => p.n === 'fire.probe').length).toBe(4);
    expect(t.heldBack).toBe(3);
    await t.stop();
    await sub.close();
  });

  it('buffers through a broker outage and replays every batch once, in order, marked historical', async () => {
    const sub = await collect(broker.url, 's1', 'a3');
    const { t, buffer, metrics } = makeTelemetry('a3');
    t.start();
    await waitFor(() => t.linkState === 'up');
    let n = 0;
    const tick = (k: number) => { for (let i = 0; i < k; i++, n++) t.publishPoints([pt(`p${n}`, n, 10_000 + n)]); };
    tick(6);
    await waitFor(() => sub.telemetry.length >= 2);
    await broker.stop();
    await waitFor(() => t.linkState !== 'up', { what: 'link down' });
    for (let s = 0; s < 10; s++) { tick(3); await sleep(100); }
    expect(buffer.lenOf('telemetry')).toBeGreaterThanOrEqual(10);
    t.publishEvent({ ts: 1, kind: 'link', message: 'during outage' });
    await broker.start();
    await waitFor(() => dedup(sub.telemetry).length >= 12 && sub.events.length >= 1, { what: 'replay', timeoutMs: 20_000 });
    await sleep(200);
    const got = dedup(sub.telemetry);
    expect(got.map((b) => b.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(got.flatMap((b) => b.points.map((p) => p.v))).toEqual(Array.from({ length: 36 }, (_, i) => i));
    expect(got.flatMap((b) => b.points.map((p) => p.t))).toEqual(Array.from({ length: 36 }, (_, i) => 10_000 + i));
    expect(got.slice(2).every((b) => b.historical === true)).toBe(true);
    expect(got.slice(0, 2).every((b) => b.historical === undefined)).toBe(true);
    expect(sub.events[0]).toMatchObject({ historical: true, message: 'during outage' });
    expect(buffer.len).toBe(0);
    expect(metrics.total('dcim_link_disconnects_total')).toBe(1);
    await t.stop();
    await sub.close();
  });

  it('receives commands, sends command results (held while the link is down) and retained state documents', async () => {
    const sub = await collect(broker.url, 's1', 'a4');
    const { t } = makeTelemetry('a4');
    const commands: string[] = [];
    t.onCommand((p) => commands.push(p.toString()));
    t.start();
    await waitFor(() => t.linkState === 'up');
    t.publishState('fire/z1', { v: 1, stage: 0 });
    await waitFor(() => sub.retained.has('dcim/v1/s1/a4/state/fire/z1'));
    await sub.client.publishAsync('dcim/v1/s1/a4/cmd', '{"kind":"ack"}', { qos: 1 });
    await waitFor(() => commands.length === 1, { what: 'command delivered' });
    expect(commands).toEqual(['{"kind":"ack"}']);
    await broker.stop();
    await waitFor(() => t.linkState !== 'up');
    t.publishCommandResult({ v: 1, id: 'cmd-00000001', ok: true, status: 'done', ts: 1 });
    t.publishState('fire/z1', { v: 1, stage: 2 });
    await broker.start();
    await waitFor(() => sub.all.some((m) => m.topic === 'dcim/v1/s1/a4/cmd/result'), { what: 'result after reconnect', timeoutMs: 20_000 });
    expect(sub.all.find((m) => m.topic === 'dcim/v1/s1/a4/cmd/result')!.body).toEqual({ v: 1, id: 'cmd-00000001', ok: true, status: 'done', ts: 1 });
    await waitFor(() => (sub.retained.get('dcim/v1/s1/a4/state/fire/z1') as { stage: number }).stage === 2, { what: 'latest state' });
    await t.stop();
    await sub.close();
  });

  it('a batch the broker refuses every time (over its max_packet_size) is dropped after a few attempts and counted; the rest flows', async () => {
    const small = await startMosquitto({ extraConfig: 'max_packet_size 4000' });
    try {
      const sub = await collect(small.url, 's1', 'a5');
      const metrics = new Metrics();
      const buffer = new MemoryBuffer({ maxBytes: 10_000_000 });
      const t = new Telemetry({
        site: 's1', agent: 'a5', version: 'test', link: { url: small.url, reconnectPeriodMs: 50, window: 1, protocolVersion: 5 },
        batchMaxPoints: 100, batchMaxMs: 20, rbe: { deadband: 0, heartbeatMs: 60_000 },
        birth: () => ({ v: 1, site: 's1', agent: 'a5', version: 'test', configHash: 'x', devices: [] }),
      }, buffer, silentLogger, metrics);
      t.start();
      await waitFor(() => t.linkState === 'up');
      t.publishPoints(Array.from({ length: 60 }, (_, i) => pt(`a.very.long.point.name.to.make.this.batch.large.${i}`, i, 1000 + i)));
      t.flush();
      t.publishPoints([pt('small', 1, 2000)]);
      t.flush();
      await waitFor(() => sub.telemetry.some((b) => b.points[0]?.n === 'small'), { what: 'the batch after the refused one', timeoutMs: 30_000 });
      expect(metrics.total('dcim_link_poison_dropped_total')).toBe(1);
      expect(sub.telemetry.map((b) => b.seq)).toEqual([2]);
      await waitFor(() => buffer.len === 0, { what: 'queue empty' });
      await t.stop();
      await sub.close();
    } finally {
      await small.stop();
      rmSync(small.dir, { recursive: true, force: true });
    }
  });
});
