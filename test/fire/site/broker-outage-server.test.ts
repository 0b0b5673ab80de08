/**
 * Issue 4 / FS-32: with the broker stopped, a thermal runaway is still handled on time at the edge,
 * and every event reaches the real server (server/main.ts startServer, its MQTT ingest and fire-zone
 * timeline) once the broker returns — the whole agent against the simulator, real Mosquitto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/log.js';
import { startServer, type RunningServer } from '../../../server/main.js';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) { try { await c(); } catch { /* keep cleaning */ } } });

describe('FS-32 broker outage during a runaway, with the real server', () => {
  it('FS-32 broker stopped → stage 1 isolation and the stage-3 nozzle happen in the plant with no broker; when it returns the server receives every transition of the outage, once, and shows stage 3', async () => {
    const rig: SiteRig = await startSiteRig({ racks: 2, camera: false, fire: { timings: { onDelayMs: 500, nozzlePreDischargeMs: 1000 } } });
    cleanup.push(() => rig.close());
    const dir = mkdtempSync(join(tmpdir(), 'dcim-outage-server-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const server: RunningServer = await startServer({
      // The data plane (store + ingest) is on, as in production: ingest's persistent session with its
      // own (non-shared) event subscription is restored by the broker after its restart and holds
      // the agent's replay until the server is back (server/ingest/ingest.ts, eventSubscription).
      log: silentLogger, port: 0,
      config: { site: 'sim1', dataDir: dir, broker: { url: rig.broker.url }, issuer: 'server-outage', agents: [{ id: 'edge-1', key: 'edge-1-command-key-0123456789' }], auth: { scryptCost: 14 } },
    });
    cleanup.push(() => server.close());
    await rig.until(() => server.ops.fire.get('sim1', 'z1'), 'the server knows zone z1 (retained state)');
    // Every fire entry the server takes in, as its consoles receive them (the zone timeline itself
    // keeps only the last 500 entries, and an incident fills it with actuations and notices).
    const received: { kind: string; seq: number; stage: number }[] = [];
    const actuations: string[] = [];
    const off = server.ops.bus.on((m) => {
      if (m.topic !== 'fire') return;
      const e = m.data.entry as { kind?: string; message?: string; data?: { journalSeq?: number; stage?: number } } | undefined;
      if (e?.kind === 'fire.transition' && typeof e.data?.journalSeq === 'number') received.push({ kind: e.kind, seq: e.data.journalSeq, stage: Number(e.data.stage) });
      if (e?.kind === 'fire.actuation') actuations.push(String(e.message));
    });
    cleanup.push(off);
    const eventsBefore = server.ops.counters.events;

    const outageSeq = rig.journal().at(-1)!.seq;
    await rig.broker.stop();
    await rig.until(() => (rig.zone().stateDoc().state as { link?: string }).link === 'partitioned' || undefined, 'the zone sees the link down');
    await rig.fault({ kind: 'rack-heat', room: 'BR1', rack: 1, temperatureC: 86 });
    await rig.until(() => rig.sim.truth({ devices: false }).rooms[0]!.racks[0]!.nozzleDischargedAtS ?? undefined, 'the rack 1 nozzle discharges with the broker down', 30_000);
    const truth = rig.sim.truth({ devices: false }).rooms[0]!;
    expect(truth.racks.map((r) => r.breaker.active)).toEqual([true, true]);
    expect(rig.stage()).toBeGreaterThanOrEqual(3);
    expect(server.ops.fire.get('sim1', 'z1')!.maxStage).toBeLessThan(1); // nothing could reach it yet

    await rig.broker.start();
    // What the edge decided while the broker was gone (the transitions before the server started
    // were published before it had a session, so they are not expected).
    const edgeTransitions = () => rig.journal().filter((r) => r.type === 'transition' && r.seq > outageSeq).map((r) => ({ seq: r.seq, stage: Number(r.data.stage) }));
    const serverTransitions = () => received.filter((t) => t.seq > outageSeq).map(({ seq, stage }) => ({ seq, stage }));
    const atServer = (): Set<number> => new Set(serverTransitions().map((t) => t.seq));
    const edge = await rig.until(() => { const e = edgeTransitions(); const got = atServer(); return (e.length > 0 && e.every((t) => got.has(t.seq))) ? e : undefined; }, 'every transition at the server', 30_000)
      .catch((err: Error) => { throw new Error(`${err.message}: edge ${JSON.stringify(edgeTransitions())}, server ${JSON.stringify(serverTransitions())}, events ${server.ops.counters.events}`); });
    // Every transition, once (the server de-duplicates by the agent's sequence). The order of arrival
    // may differ: the live event after the reconnect can come through the server's own link before
    // the replay comes through ingest; the sequence numbers give the order back. (The zone may go on
    // escalating meanwhile: compare up to the last transition the edge had made.)
    const last = edge.at(-1)!.seq;
    expect(serverTransitions().length).toBe(atServer().size);
    expect(serverTransitions().filter((t) => t.seq <= last).sort((x, y) => x.seq - y.seq)).toEqual(edge);
    expect(Math.max(...serverTransitions().map((t) => t.stage))).toBeGreaterThanOrEqual(3);
    const serverZone = server.ops.fire.get('sim1', 'z1')!;
    expect(serverZone.maxStage).toBeGreaterThanOrEqual(3);
    // The actuations made during the outage are on the server's timeline too.
    expect(actuations.some((m) => /nozzle/.test(m))).toBe(true);
    expect(server.ops.counters.events).toBeGreaterThan(eventsBefore);
    // And to a persistent subscriber of the agent's events: every one, once, in the agent's order.
    const delivered = () => rig.sub.events.filter((e) => e.kind === 'fire.transition' && typeof e.data?.journalSeq === 'number' && Number(e.data.journalSeq) > outageSeq).map((e) => Number(e.data!.journalSeq));
    await rig.until(() => delivered().filter((q) => q <= last).length >= edge.length || undefined, 'every transition of the outage at the subscriber', 30_000);
    expect(delivered().filter((q) => q <= last)).toEqual(edge.map((t) => t.seq));
  }, 90_000);
});
