/** The live stream: protocol over a real socket, and back-pressure (bounded queue, coalesced points, never-dropped alarms). */
import { Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import type { Point } from '../../lib/points.js';
import { Bus } from '../../server/stream/bus.js';
import { StreamHub } from '../../server/stream/hub.js';
import { testServer, type TestServer } from './helper.js';
import { sse } from './sse.js';

let s: TestServer | null = null;
afterEach(async () => { await s?.close(); s = null; });

/** A real Writable that stalls until released: write() returns false once its small buffer is full. */
function stalledResponse() {
  const pending: (() => void)[] = [];
  const chunks: string[] = [];
  let stalled = true;
  const w = new Writable({
    highWaterMark: 1024,
    write(chunk, _e, cb) { chunks.push(String(chunk)); if (stalled) pending.push(cb); else cb(); },
  }) as Writable & { writeHead: () => void };
  w.writeHead = () => undefined;
  return { res: w as unknown as ServerResponse, chunks, release() { stalled = false; for (const cb of pending.splice(0)) cb(); } };
}

const frames = (chunks: string[]) => chunks.join('').split('\n\n').filter(Boolean).map((f) => ({ event: /event: (.*)/.exec(f)?.[1], data: JSON.parse(/data: (.*)/.exec(f)?.[1] ?? 'null') }));
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('live stream back-pressure', () => {
  test('points are coalesced per point while the client is slow; alarms are all delivered in order', async () => {
    const bus = new Bus();
    const hub = new StreamHub(bus, { maxQueue: 10_000, pointFlushMs: 1 });
    const c = stalledResponse();
    hub.attach(c.res, StreamHub.parseFilter('alarm', 'ups-z1'), { alarms: [] }, 'op1');
    await tick();
    for (let i = 0; i < 200; i++) {
      bus.emit('alarm', i, { change: 'active', n: i, pad: 'x'.repeat(200) });
      const p: Point = { site: 'sim1', device: 'ups-z1', name: 'ups.load', value: i, ts: i, quality: 'good' };
      hub.onPoints([p, { ...p, device: 'ups-z2' }]);
      await new Promise((r) => setImmediate(r));
    }
    expect(hub.clientStats()[0]!.waitingDrain).toBe(true);
    c.release();
    await tick(); await tick();
    const f = frames(c.chunks);
    const alarms = f.filter((x) => x.event === 'alarm').map((x) => x.data.n);
    expect(alarms).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const points = f.filter((x) => x.event === 'points').flatMap((x) => x.data.points as Point[]);
    expect(points.every((p) => p.device === 'ups-z1')).toBe(true); // filter: only subscribed devices
    expect(points.length).toBeLessThan(200); // coalesced while stalled
    expect(points.at(-1)!.value).toBe(199); // latest value wins
    expect(hub.stats.coalesced).toBeGreaterThan(0);
    hub.close();
  });

  test('a client that cannot take never-droppable messages is disconnected with an overflow event, others unaffected', async () => {
    const bus = new Bus();
    const hub = new StreamHub(bus, { maxQueue: 50 });
    const slow = stalledResponse();
    const fast = stalledResponse(); fast.release();
    hub.attach(slow.res, StreamHub.parseFilter(undefined, undefined), {}, 'slow');
    hub.attach(fast.res, StreamHub.parseFilter(undefined, undefined), {}, 'fast');
    for (let i = 0; i < 500; i++) { bus.emit('alarm', i, { n: i, pad: 'y'.repeat(100) }); if (i % 10 === 0) await new Promise((r) => setImmediate(r)); }
    await tick();
    expect(hub.stats.overflowDisconnects).toBe(1);
    expect(hub.clientStats().map((c) => c.user)).toEqual(['fast']);
    slow.release(); await tick();
    expect(frames(slow.chunks).at(-1)!.event).toBe('overflow');
    expect(frames(fast.chunks).filter((x) => x.event === 'alarm')).toHaveLength(500);
    hub.close();
  });
});

describe('live stream over a real socket', () => {
  test('hello snapshot, then alarm, status, fire and point events; 401 without a session; 400 on a bad filter', async () => {
    s = await testServer({ alarms: { rules: [{ id: 'ups.load.high', device: 'ups-z1', point: 'ups.load', op: '>', limit: 90, priority: 'P2' }] } });
    const url = await s.app.listen({ port: 0, host: '127.0.0.1' });
    s.ops.onPoints([{ site: 'sim1', device: 'ups-z1', name: 'ups.load', value: 95, ts: s.clock.t, quality: 'good' }]);
    expect((await fetch(`${url}/api/stream`)).status).toBe(401);
    const bad = await fetch(`${url}/api/stream?topics=ALARM;drop`, { headers: { cookie: s.cookie.viewer } });
    expect([bad.status, (await bad.json()).path]).toEqual([400, 'querystring.topics']);
    const c = await sse(`${url}/api/stream?points=ups-z1/ups.load`, { cookie: s.cookie.viewer });
    const hello = await c.next((e) => e.event === 'hello');
    expect(hello.data.alarms).toHaveLength(1);
    expect(hello.data.user).toEqual({ username: 'viewer', role: 'viewer' });
    await s.as('op1', 'POST', `/api/alarms/${(hello.data.alarms as { id: string }[])[0]!.id}/ack`, {});
    expect((await c.next((e) => e.event === 'alarm')).data).toMatchObject({ change: 'ack', actor: 'op1' });
    s.ops.onPoints([{ site: 'sim1', device: 'ups-z1', name: 'ups.load', value: 42, ts: s.clock.t, quality: 'good' }]);
    const pts = await c.next((e) => e.event === 'points');
    expect((pts.data.points as Point[]).at(-1)).toMatchObject({ device: 'ups-z1', name: 'ups.load', value: 42 });
    s.ops.onFireState('sim1', 'agent-1', 'BR2', { stage: 1, state: { incident: 's1' }, fdControl: null });
    expect((await c.next((e) => e.event === 'fire')).data).toMatchObject({ zone: 'BR2', stage: 's1' });
    s.clock.advance(200_000); s.ops.status.evaluate();
    expect((await c.next((e) => e.event === 'status')).data).toMatchObject({ id: 'ups-z1', status: 'Unknown', from: 'Warning' });
    c.close();
  });
});
