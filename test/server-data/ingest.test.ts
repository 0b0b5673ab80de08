/**
 * Ingest through a real Mosquitto broker into the DuckDB store: validation, duplicates, gaps and
 * out-of-order replays (R42), idempotent writes, two replicas on one shared subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { AgentEvent } from '../../lib/mqtt-contract.js';
import type { WirePoint } from '../../lib/points.js';
import { startIngest, type Ingest } from '../../server/ingest/ingest.js';
import { createStore } from '../../server/store/index.js';
import type { Store } from '../../server/store/types.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { event, Publisher, telemetry } from './helpers.js';

const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
let group = 0;
const sub = (): string => `$share/test-${++group}/dcim/v1/+/+/#`;
const load = (seq: number, v: number): WirePoint => ({ d: 'ups-z1', n: 'ups.load', v, t: T0 + seq * 1000, q: 0 });

describe('ingest (real Mosquitto → DuckDB)', () => {
  let broker: Mosquitto;
  let store: Store;
  let pub: Publisher;
  beforeAll(async () => {
    broker = await startMosquitto();
    pub = await Publisher.connect(broker.url);
  });
  afterAll(async () => {
    await pub?.close();
    await broker?.stop();
  });

  // One connection: these tests assert the per-arrival order (late vs gap); several connections process in any order.
  async function withIngest(fn: (ing: Ingest, events: AgentEvent[]) => Promise<void>, clientId = `srv-${Math.random().toString(36).slice(2)}`): Promise<void> {
    store = createStore({ kind: 'duckdb', path: ':memory:' });
    await store.start();
    const events: AgentEvent[] = [];
    const ing = await startIngest({ brokerUrl: broker.url, store, log: silentLogger, clientId, subscription: sub(), connections: 1, rollupIntervalMs: 0, onEvent: (e) => events.push(e) });
    try { await fn(ing, events); } finally { await ing.stop(); await store.stop(); }
  }

  it('rejects malformed payloads with a counted reason and keeps going', async () => {
    await withIngest(async (ing) => {
      await pub.raw('dcim/v1/sim1/agent-a/telemetry', '{not json');
      await pub.raw('dcim/v1/sim1/agent-a/telemetry', JSON.stringify({ ...telemetry('agent-a', 1, [load(1, 1)]), extra: 1 }));
      await pub.raw('dcim/v1/sim1/agent-a/telemetry', JSON.stringify(telemetry('agent-a', 1, [{ ...load(1, 1), q: 5 } as never])));
      await pub.raw('dcim/v1/sim1/agent-b/telemetry', JSON.stringify(telemetry('agent-a', 1, [load(1, 1)])));
      await pub.raw('dcim/v1/sim1/agent-a/event', JSON.stringify({ v: 1 }));
      await pub.telemetry(telemetry('agent-a', 1, [load(1, 10), { d: 'ups-z1', n: 'battery.charge', v: null, t: T0 + 1000, q: 2, r: 'timeout' }]));
      await waitFor(() => ing.stats().batches === 1, { what: 'valid batch' });
      expect(ing.stats().rejected).toEqual({ json: 1, schema: 3, topic_mismatch: 1 });
      expect(await store.raw({ site: 'sim1', device: 'ups-z1', name: 'battery.charge' }, T0, T0 + 10_000)).toEqual([{ ts: T0 + 1000, value: null, q: 2, reason: 'timeout' }]);
    });
  });

  it('drops duplicates, records gaps, accepts replays in any order without double counting', async () => {
    await withIngest(async (ing, events) => {
      for (const seq of [40, 41, 41, 45]) await pub.telemetry(telemetry('agent-g', seq, [load(seq, seq)], { sentAt: T0 + seq * 1000 }));
      await pub.event(event('agent-g', 1, { kind: 'fire.transition', ts: T0, message: 'stage 1', zone: 'z1', data: { stage: 1 } }));
      await waitFor(() => ing.stats().batches === 3 && ing.stats().events === 1, { what: 'three batches and one event' });
      expect(ing.stats().duplicates).toBe(1);
      expect([ing.stats().gaps, ing.stats().missingBatches]).toEqual([1, 3]);
      expect(await store.gaps({ agent: 'agent-g' })).toEqual([{ site: 'sim1', agent: 'agent-g', stream: 'telemetry', epoch: 'e1', fromSeq: 42, toSeq: 44, missing: 3, start: T0 + 41_000, end: T0 + 45_000 }]);
      expect(events.map((e) => [e.kind, e.data?.stage])).toEqual([['fire.transition', 1]]);
      for (const seq of [44, 42, 43, 42]) await pub.telemetry(telemetry('agent-g', seq, [load(seq, seq)], { sentAt: T0 + seq * 1000, historical: true }));
      await waitFor(() => ing.stats().batches === 6, { what: 'replayed batches' });
      await ing.flush();
      expect(await store.gaps({ agent: 'agent-g' })).toEqual([]);
      expect([ing.stats().duplicates, ing.stats().late]).toEqual([2, 3]);
      const [row] = await store.rollups({ site: 'sim1', device: 'ups-z1', name: 'ups.load' }, '1m', T0, T0 + 60_000);
      expect([row!.count, row!.sum]).toEqual([6, 40 + 41 + 42 + 43 + 44 + 45]);
    });
  });

  it('two replicas on the shared subscription store every batch once', async () => {
    store = createStore({ kind: 'duckdb', path: ':memory:' });
    await store.start();
    const subscription = sub();
    const a = await startIngest({ brokerUrl: broker.url, store, log: silentLogger, clientId: 'replica-a', subscription, rollupIntervalMs: 0 });
    const b = await startIngest({ brokerUrl: broker.url, store, log: silentLogger, clientId: 'replica-b', subscription, rollupIntervalMs: 0 });
    try {
      for (let seq = 1; seq <= 40; seq++) await pub.telemetry(telemetry('agent-r', seq, [{ d: 'ups-z2', n: 'ups.load', v: seq, t: T0 + seq * 1000, q: 0 }], { sentAt: T0 + seq * 1000 }));
      await waitFor(() => a.stats().batches + b.stats().batches === 40, { what: '40 batches across replicas' });
      expect(a.stats().batches).toBeGreaterThan(0);
      expect(b.stats().batches).toBeGreaterThan(0);
      await a.flush();
      await b.flush();
      expect(await store.gaps({ agent: 'agent-r' })).toEqual([]);
      expect((await store.batches({ agent: 'agent-r' })).length).toBe(40);
      const rows = await store.rollups({ site: 'sim1', device: 'ups-z2', name: 'ups.load' }, '1m', T0, T0 + 120_000);
      expect(rows.reduce((x, r) => x + r.count, 0)).toBe(40);
    } finally {
      await a.stop();
      await b.stop();
      await store.stop();
    }
  });
});

describe('ingest across a Mosquitto restart', () => {
  it('keeps receiving on its shared subscription after the broker restarts (Mosquitto restores the session, not the shared subscription)', async () => {
    const broker = await startMosquitto();
    const s = createStore({ kind: 'duckdb', path: ':memory:' });
    await s.start();
    const ing = await startIngest({ brokerUrl: broker.url, store: s, log: silentLogger, clientId: `srv-restart-${process.pid}`, connections: 1, rollupIntervalMs: 0 });
    const p = await Publisher.connect(broker.url);
    try {
      await p.telemetry(telemetry('agent-r', 1, [load(1, 1)]));
      await waitFor(() => ing.stats().batches === 1, { what: 'first batch' });
      await broker.stop();
      await broker.start();
      // The publisher and ingest both reconnect by themselves; batches published after that arrive.
      let seq = 1;
      await waitFor(async () => { seq++; await p.telemetry(telemetry('agent-r', seq, [load(seq, seq)])); return ing.stats().batches >= 2 || undefined; }, { what: 'a batch after the restart', timeoutMs: 20_000, intervalMs: 500 });
      expect(ing.stats().batches).toBeGreaterThanOrEqual(2);
    } finally {
      await p.close();
      await ing.stop();
      await s.stop();
      await broker.stop();
    }
  });
  it('starts while the broker is down (logged) and subscribes when it comes: nothing published after that is missed', async () => {
    const broker = await startMosquitto();
    await broker.stop();
    const s = createStore({ kind: 'duckdb', path: ':memory:' });
    await s.start();
    const events: AgentEvent[] = [];
    const ing = await startIngest({ brokerUrl: broker.url, store: s, log: silentLogger, clientId: `srv-late-${process.pid}`, connections: 2, connectWaitMs: 300, rollupIntervalMs: 0, onEvent: (e) => events.push(e) });
    let p: Publisher | null = null;
    try {
      await broker.start();
      p = await Publisher.connect(broker.url);
      let seq = 0;
      // Until ingest has connected (within its 1 s reconnect period), a publish may reach nobody.
      await waitFor(async () => { seq++; await p!.telemetry(telemetry('agent-l', seq, [load(seq, seq)])); return ing.stats().batches >= 1 || undefined; }, { what: 'ingest connected late', timeoutMs: 20_000, intervalMs: 300 });
      await p.event(event('agent-l', 1, { kind: 'alarm', ts: T0, message: 'UPS on battery' }));
      await waitFor(() => events.length === 1 || undefined, { what: 'the event' });
      expect(events[0]!.message).toBe('UPS on battery');
    } finally {
      await p?.close();
      await ing.stop();
      await s.stop();
      await broker.stop();
    }
  });

  it('gets every event an agent published after a broker restart before ingest was back (events have a non-shared subscription on the persistent session, which the broker restores)', async () => {
    const broker = await startMosquitto();
    const s = createStore({ kind: 'duckdb', path: ':memory:' });
    await s.start();
    const clientId = `srv-events-${process.pid}`;
    const events: AgentEvent[] = [];
    const open = () => startIngest({ brokerUrl: broker.url, store: s, log: silentLogger, clientId, connections: 2, rollupIntervalMs: 0, onEvent: (e) => events.push(e) });
    let ing = await open();
    let p = await Publisher.connect(broker.url);
    try {
      await p.event(event('agent-o', 1, { kind: 'fire.transition', ts: T0, message: 'stage 1', zone: 'z1', data: { stage: 1 } }));
      await waitFor(() => events.length === 1 || undefined, { what: 'the event before the outage' });
      await p.close();
      await ing.stop();
      await broker.stop();
      await broker.start();
      // The agent is back first and replays what it held (historical), then goes on live.
      p = await Publisher.connect(broker.url);
      for (let seq = 2; seq <= 5; seq++) await p.event(event('agent-o', seq, { kind: 'fire.transition', ts: T0 + seq * 1000, message: `stage ${seq}`, zone: 'z1', data: { stage: seq }, historical: seq < 5 }));
      ing = await open();
      await waitFor(() => events.length >= 5 || undefined, { what: 'the four events published while ingest was away', timeoutMs: 10_000 }).catch((err: Error) => { throw new Error(`${err.message}: got ${JSON.stringify(events.map((e) => e.seq))}, stats ${JSON.stringify(ing.stats())}`); });
      await ing.flush();
      // Once each, in the agent's order, stored as received batches without a gap.
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(ing.stats().events).toBe(4);
      expect(await s.gaps({ agent: 'agent-o' })).toEqual([]);
      expect((await s.batches({ agent: 'agent-o', stream: 'event' })).map((b) => b.seq)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await p.close();
      await ing.stop();
      await s.stop();
      await broker.stop();
    }
  });
});
