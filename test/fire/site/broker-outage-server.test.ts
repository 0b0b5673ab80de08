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
  it('FS-32 broker stopped → stage 1 isolation and the stage-3 nozzle happen in the plant with no broker; when it returns the server shows stage 3 and every transition of the outage is delivered once, in order', async () => {
    const rig: SiteRig = await startSiteRig({ racks: 2, camera: false, fire: { timings: { onDelayMs: 500, nozzlePreDischargeMs: 1000 } } });
    cleanup.push(() => rig.close());
    const dir = mkdtempSync(join(tmpdir(), 'dcim-outage-server-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const server: RunningServer = await startServer({
      // The data plane (store + ingest) is on, as in production: its persistent MQTT session is what
      // carries the events published while the server's own link was reconnecting.
      log: silentLogger, port: 0,
      config: { site: 'sim1', dataDir: dir, broker: { url: rig.broker.url }, issuer: 'server-outage', agents: [{ id: 'edge-1', key: 'edge-1-command-key-0123456789' }], auth: { scryptCost: 14 } },
    });
    cleanup.push(() => server.close());
    await rig.until(() => server.ops.fire.get('sim1', 'z1'), 'the server knows zone z1 (retained state)');

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
    // The server shows the zone at its true stage again (the agent re-publishes its retained zone
    // document on reconnect, and the server's fire-zone view never moves a stage back on a late replay).
    await rig.until(() => (server.ops.fire.get('sim1', 'z1')!.maxStage >= 3) || undefined, 'the server shows stage 3', 30_000);
    // Every event of the outage is delivered once, in order, to a persistent subscriber (the server's
    // own delivery of the replay races its resubscription after a broker restart: see the README).
    const edgeTransitions = () => rig.journal().filter((r) => r.type === 'transition' && r.seq > outageSeq).map((r) => r.seq);
    const delivered = () => rig.sub.events.filter((e) => e.kind === 'fire.transition' && typeof e.data?.journalSeq === 'number' && Number(e.data.journalSeq) > outageSeq).map((e) => Number(e.data!.journalSeq));
    await rig.until(() => delivered().length >= edgeTransitions().length || undefined, 'every transition of the outage at the subscriber', 30_000);
    expect(delivered()).toEqual(edgeTransitions());
  }, 90_000);
});
