/**
 * Ingest from agents: MQTT shared subscription (QoS 1, persistent session) → validate → sequence
 * check → store (idempotent) → hooks for the operational side (alarms, status, live stream).
 *
 * - Every message is acknowledged only after it has been stored (or rejected), so a crash
 *   between receipt and write makes the broker redeliver it; writes are idempotent, so that and
 *   several replicas sharing a subscription are safe.
 * - Messages that arrive while a write is running are written together (group commit).
 * - Malformed payloads are counted by reason and logged (first of each reason, then every 1000th);
 *   nothing a client sends can crash ingest.
 * - With a shared subscription, agent events come through their own non-shared subscription on a
 *   persistent session (see `eventSubscription`), so a broker restart cannot lose them.
 */
import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../../lib/log.js';
import { NAMESPACE, parseTopic, SERVER_SHARED_SUBSCRIPTION, type AgentBirth, type AgentEvent, type AgentStatus } from '../../lib/mqtt-contract.js';
import { fromWire, type Point } from '../../lib/points.js';
import type { BatchRecord, Store } from '../store/types.js';
import { SequenceTracker } from './sequence.js';
import { validatePayload } from './validate.js';

export interface IngestOptions {
  brokerUrl: string;
  /** Broker account (the README's ACL gives `dcim-server` read on dcim/v1/# and the shared group). */
  username?: string;
  password?: string;
  store: Store;
  log: Logger;
  /** Every valid, non-duplicate agent event, after its batch record is stored. */
  onEvent?: (ev: AgentEvent) => void;
  /** Points of every stored telemetry batch (live values for alarms, status, live stream). */
  onPoints?: (points: Point[], batch: { site: string; agent: string; historical: boolean }) => void;
  onBirth?: (b: AgentBirth) => void;
  onStatus?: (s: AgentStatus & { site: string; agent: string }) => void;
  /** Stable per replica so the broker keeps the session (default dcim-server-<hostname>). */
  clientId?: string;
  /** Default SERVER_SHARED_SUBSCRIPTION; a broker without shared subscriptions needs dcim/v1/+/+/#. */
  subscription?: string;
  /**
   * Agent events' own subscription when `subscription` is shared (default `dcim/v1/+/+/event`, on
   * a persistent connection `<clientId>-events`). Mosquitto restores a persistent session after a
   * restart but not its shared subscriptions: events an agent replays from store-and-forward before
   * ingest has subscribed again would reach no subscriber and be lost. A plain subscription of a
   * persistent session is restored with it, and the broker queues the replay until ingest is back.
   * Every replica then receives every event (writes are idempotent; each replica's consoles see
   * every alarm). `null`: events come through `subscription` only (its share of them).
   */
  eventSubscription?: string | null;
  /**
   * MQTT 5 session expiry (s, default 3600): the broker keeps this replica's queue across restarts
   * that short. A replica gone for good keeps receiving its share of a shared subscription until
   * its session expires, so keep this to the longest restart you expect.
   */
  sessionExpirySec?: number;
  /** MQTT protocol version (default 5). 4 (3.1.1) for brokers without MQTT 5, e.g. the demo's embedded aedes; pair it with `subscription`. */
  protocolVersion?: 4 | 5;
  /**
   * How long startIngest waits for the broker (ms, default 5000). Without a broker by then it
   * returns anyway (logged) and subscribes when the broker comes; a refused login is an error.
   */
  connectWaitMs?: number;
  /** How often dirty rollup buckets are recomputed (ms, default 5000; 0 = never, call flush). */
  rollupIntervalMs?: number;
  /** MQTT connections in the shared-subscription group (default 16; 1 without `$share/`). */
  connections?: number;
  /** Most points written in one group commit (default 50,000). */
  maxPointsPerWrite?: number;
  /**
   * Points handled between two yields to the event loop (default 4,000): parsing, each
   * `store.write` call and the hooks of a group commit are cut into pieces this size, so alarm
   * events and HTTP requests of the same process wait for at most one piece.
   */
  slicePoints?: number;
  now?: () => number;
}

export interface IngestStats {
  received: number;
  batches: number;
  events: number;
  points: number;
  duplicates: number;
  late: number;
  gaps: number;
  missingBatches: number;
  rejected: Record<string, number>;
  storeErrors: number;
  writes: number;
}

export interface Ingest {
  stop(): Promise<void>;
  stats(): IngestStats;
  /** Wait until every message received so far is stored and rollups are flushed. */
  flush(): Promise<void>;
}

/** Lets timers, sockets and other messages run before the next piece of ingest work. */
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Pending {
  packet: IPublishPacket;
  done: () => void;
}

/** The broker refused the login (CONNACK reason code: MQTT 3.1.1 4/5, MQTT 5 134/135...), as opposed to being unreachable. */
export class BrokerRefusedError extends Error {
  constructor(readonly brokerUrl: string, readonly reason: string) {
    super(`MQTT broker ${brokerUrl} refused ingest's connection: ${reason} (check broker.username, broker.passwordEnv and the broker's ACL)`);
    this.name = 'BrokerRefusedError';
  }
}

/**
 * Connect and subscribe, with `handleMessage` installed before the first packet can arrive (a
 * persistent session's queued messages come right behind the CONNACK, and mqtt.js's default handler
 * would acknowledge them unseen). Subscribes again on every reconnect. Resolves true once subscribed,
 * false when the broker could not be reached within `waitMs` (mqtt.js keeps reconnecting, and the
 * subscription is made when it connects); rejects when the broker refuses the login.
 */
function openConnection(url: string, options: IClientOptions, filter: string, handleMessage: MqttClient['handleMessage'], waitMs: number, log: Logger): { client: MqttClient; ready: Promise<boolean> } {
  const client = mqtt.connect(url, options);
  client.handleMessage = handleMessage;
  let subscribed = false;
  const ready = new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    client.on('error', (err: Error & { code?: unknown }) => {
      if (typeof err.code === 'number' && !subscribed) { clearTimeout(timer); reject(new BrokerRefusedError(url, err.message)); return; }
      log.error({ err: err.message }, 'mqtt error');
    });
    // Mosquitto does not restore a shared subscription from its persistence after a restart, while
    // the session itself comes back (session present), so mqtt.js would not resubscribe and ingest
    // would silently receive nothing more. Subscribe again on every connect (idempotent).
    // (`resubscribe: true` makes mqtt.js send it although it believes the topic is subscribed.)
    client.on('connect', () => {
      client.subscribe({ [filter]: { qos: 1 }, resubscribe: true } as unknown as string, (err) => {
        if (err) { log.error({ err: err.message, filter }, 'subscribe failed'); return; }
        if (!subscribed) { subscribed = true; clearTimeout(timer); resolve(true); }
      });
    });
  });
  return { client, ready };
}

/** Events arriving through the shared subscription are acknowledged and left to the events' own subscription. */
const isEventTopic = (topic: string): boolean => topic.endsWith('/event') && parseTopic(topic)?.channel === 'event';

export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const { store, log } = opts;
  const now = opts.now ?? Date.now;
  const tracker = new SequenceTracker();
  const st: IngestStats = { received: 0, batches: 0, events: 0, points: 0, duplicates: 0, late: 0, gaps: 0, missingBatches: 0, rejected: {}, storeErrors: 0, writes: 0 };
  const maxPoints = opts.maxPointsPerWrite ?? 50_000;
  const slice = Math.max(1, opts.slicePoints ?? 4000);
  const subscription = opts.subscription ?? SERVER_SHARED_SUBSCRIPTION;
  const shared = subscription.startsWith('$share/');
  const connectionCount = shared ? Math.max(1, opts.connections ?? 16) : 1;
  const eventSubscription = shared && opts.eventSubscription !== null ? (opts.eventSubscription ?? `${NAMESPACE}/+/+/event`) : null;
  let queue: Pending[] = [];
  let working: Promise<void> | null = null;
  let stopping = false;
  /** Wakes the worker when a message arrives while it waits for a write. */
  let wake: (() => void) | null = null;

  const reject = (reason: string, topic: string, detail: string): void => {
    const n = (st.rejected[reason] = (st.rejected[reason] ?? 0) + 1);
    if (n === 1 || n % 1000 === 0) log.warn({ reason, topic, detail, count: n }, 'ingest rejected a message');
  };

  /** Check the sequence; seeds the tracker from stored batch records the first time a stream is seen. */
  const sequence = async (site: string, agent: string, stream: 'telemetry' | 'event', epoch: string, seq: number): Promise<string | null> => {
    const key = SequenceTracker.key(site, agent, stream, epoch);
    if (!tracker.has(key)) {
      const stored = await store.batches({ site, agent, stream, from: now() - 3_600_000 });
      tracker.seed(key, stored.filter((b) => b.epoch === epoch).map((b) => b.seq));
    }
    const v = tracker.classify(key, seq);
    if (v.kind === 'duplicate') { st.duplicates++; return null; }
    if (v.kind === 'late') st.late++;
    if (v.kind === 'gap') {
      st.gaps++;
      st.missingBatches += v.toSeq - v.fromSeq + 1;
      // Seen by this replica only (others share the stream); authoritative gaps come from Store.gaps().
      log.debug({ site, agent, stream, epoch, fromSeq: v.fromSeq, toSeq: v.toSeq }, 'sequence jump');
    }
    return key;
  };

  async function processAll(items: Pending[]): Promise<void> {
    const points: Point[] = [];
    const records: BatchRecord[] = [];
    const seqKeys: Array<[string, number]> = [];
    const pointsOut: Array<{ pts: Point[]; site: string; agent: string; historical: boolean }> = [];
    const events: AgentEvent[] = [];
    let sinceYield = 0;
    for (const { packet } of items) {
      if (sinceYield >= slice) { sinceYield = 0; await yieldToLoop(); }
      sinceYield += Math.max(1, packet.payload.length / 60);
      st.received++;
      const t = parseTopic(packet.topic);
      if (!t) { reject('topic', packet.topic, 'not in the dcim/v1 namespace'); continue; }
      if (t.channel === 'telemetry') {
        const v = validatePayload('telemetry', packet.payload as Buffer);
        if (!v.ok) { reject(v.reason, packet.topic, v.detail); continue; }
        const b = v.value;
        if (b.site !== t.site || b.agent !== t.agent) { reject('topic_mismatch', packet.topic, `payload says ${b.site}/${b.agent}`); continue; }
        const key = await sequence(b.site, b.agent, 'telemetry', b.epoch, b.seq);
        if (!key) continue;
        seqKeys.push([key, b.seq]);
        const pts = new Array<Point>(b.points.length);
        for (let i = 0; i < pts.length; i++) points.push((pts[i] = fromWire(b.site, b.points[i]!)));
        pointsOut.push({ pts, site: b.site, agent: b.agent, historical: b.historical === true });
        records.push({ site: b.site, agent: b.agent, stream: 'telemetry', epoch: b.epoch, seq: b.seq, sentAt: b.sentAt, receivedAt: now(), count: pts.length, historical: b.historical === true });
      } else if (t.channel === 'event') {
        const v = validatePayload('event', packet.payload as Buffer);
        if (!v.ok) { reject(v.reason, packet.topic, v.detail); continue; }
        const e = v.value;
        if (e.site !== t.site || e.agent !== t.agent) { reject('topic_mismatch', packet.topic, `payload says ${e.site}/${e.agent}`); continue; }
        const key = await sequence(e.site, e.agent, 'event', e.epoch, e.seq);
        if (!key) continue;
        seqKeys.push([key, e.seq]);
        records.push({ site: e.site, agent: e.agent, stream: 'event', epoch: e.epoch, seq: e.seq, sentAt: e.sentAt, receivedAt: now(), count: 1, historical: e.historical === true });
        events.push(e);
      } else if (t.channel === 'birth') {
        if (packet.payload.length === 0) continue; // retained message cleared
        const v = validatePayload('birth', packet.payload as Buffer);
        if (!v.ok) { reject(v.reason, packet.topic, v.detail); continue; }
        opts.onBirth?.(v.value);
      } else if (t.channel === 'status') {
        if (packet.payload.length === 0) continue;
        const v = validatePayload('status', packet.payload as Buffer);
        if (!v.ok) { reject(v.reason, packet.topic, v.detail); continue; }
        opts.onStatus?.({ ...v.value, site: t.site, agent: t.agent });
      }
      // cmd, cmd/result and state/* belong to the operational side.
    }
    try {
      // One store.write per slice (in order, so the last of duplicate (point, ts) still wins).
      for (let i = 0; i < points.length; i += slice) {
        if (i > 0) await yieldToLoop();
        await store.write(i === 0 && points.length <= slice ? points : points.slice(i, i + slice));
        st.writes++;
      }
      await store.recordBatches(records);
    } catch (err) {
      st.storeErrors++;
      for (const [k, s] of seqKeys) tracker.forget(k, s);
      log.error({ err: (err as Error).message }, 'store write failed; messages not acknowledged will be redelivered');
      throw err;
    }
    st.batches += pointsOut.length;
    st.events += events.length;
    st.points += points.length;
    let hooked = 0;
    for (const o of pointsOut) {
      if (hooked >= slice) { hooked = 0; await yieldToLoop(); }
      hooked += o.pts.length;
      try { opts.onPoints?.(o.pts, { site: o.site, agent: o.agent, historical: o.historical }); } catch (err) { log.error({ err }, 'onPoints hook failed'); }
    }
    for (const e of events) {
      try { opts.onEvent?.(e); } catch (err) { log.error({ err }, 'onEvent hook failed'); }
    }
  }

  /**
   * Up to two group commits in flight, so parsing the next group overlaps the store write of the
   * previous one (each group takes at most half the connections' messages).
   */
  async function work(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const maxMessages = Math.max(1, Math.ceil(connectionCount / 2));
    while (queue.length || inflight.size) {
      if (queue.length && inflight.size < 2 && !stopping) {
        let n = 0;
        let pts = 0;
        while (n < queue.length && n < maxMessages && (n === 0 || pts < maxPoints)) {
          pts += Math.max(1, Math.floor(queue[n]!.packet.payload.length / 60));
          n++;
        }
        const items = queue.slice(0, n);
        queue = queue.slice(n);
        const p: Promise<void> = processAll(items).then(
          () => { for (const i of items) i.done(); },
          async () => {
            // Not acknowledged: retried after a back-off; when stopping, left to the broker to redeliver.
            if (stopping) return;
            await new Promise((r) => setTimeout(r, 1000));
            queue = [...items, ...queue];
          },
        ).finally(() => { inflight.delete(p); });
        inflight.add(p);
        continue;
      }
      if (!inflight.size) break;
      await Promise.race([...inflight, new Promise<void>((r) => { wake = r; })]);
      wake = null;
    }
  }

  // mqtt.js hands over the next message of a connection only after the previous one is acknowledged,
  // so several connections in the same shared-subscription group keep several batches in flight
  // (and let one store write take them together). Without a shared subscription: one connection.
  const n = connectionCount;
  const base = opts.clientId ?? `dcim-server-${hostname()}`;
  const clients: MqttClient[] = [];
  const connections = Array.from({ length: n }, (_, i) => ({ clientId: n === 1 ? base : `${base}-${i}`, filter: subscription }));
  if (eventSubscription) connections.push({ clientId: `${base}-events`, filter: eventSubscription });
  const readiness: Promise<boolean>[] = [];
  for (const { clientId, filter } of connections) {
    const mainShared = filter === subscription && eventSubscription !== null;
    const { client, ready } = openConnection(opts.brokerUrl, {
      clientId,
      username: opts.username,
      password: opts.password,
      clean: false,
      protocolVersion: opts.protocolVersion ?? 5,
      ...((opts.protocolVersion ?? 5) === 5 ? { properties: { sessionExpiryInterval: opts.sessionExpirySec ?? 3600 } } : {}),
      reconnectPeriod: 1000,
    }, filter, (packet, callback) => {
      if (mainShared && isEventTopic(packet.topic)) { callback(); return; }
      queue.push({ packet, done: () => callback() });
      if (!working) working = work().finally(() => { working = null; });
      else wake?.();
    }, opts.connectWaitMs ?? 5000, log);
    clients.push(client);
    readiness.push(ready);
  }
  let subscribedAll: boolean;
  try {
    subscribedAll = (await Promise.all(readiness)).every(Boolean);
  } catch (err) {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    throw err;
  }
  if (!subscribedAll) log.warn({ broker: opts.brokerUrl }, 'MQTT broker not reachable yet: ingest keeps reconnecting and subscribes when it connects');
  else log.info({ broker: opts.brokerUrl, subscription, eventSubscription, connections: clients.length }, 'ingest subscribed');

  const interval = opts.rollupIntervalMs ?? 5000;
  let flushing: Promise<unknown> = Promise.resolve();
  const timer = interval > 0 ? setInterval(() => {
    flushing = flushing.then(() => store.flushRollups()).catch((err) => log.error({ err: (err as Error).message }, 'rollup flush failed'));
  }, interval) : null;

  return {
    stats: () => ({ ...st, rejected: { ...st.rejected } }),
    async flush() {
      while (working) await working;
      await flushing;
      await store.flushRollups();
    },
    async stop() {
      if (timer) clearInterval(timer);
      stopping = true;
      while (working) await working;
      // A graceful end waits for outgoing packets (a resubscribe in flight); bounded, then forced.
      await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
        const t = setTimeout(() => { c.end(true, () => resolve()); }, 3000);
        c.end(false, () => { clearTimeout(t); resolve(); });
      })));
      while (working) await working;
      await flushing;
      await store.flushRollups();
    },
  };
}
