import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startFireHost } from '../../agent/fire/host.js';
import { MemoryPublisher } from '../../agent/fire/publish.js';
import type { AgentEvent } from '../../lib/mqtt-contract.js';
import { startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { FirePlant } from './support/fire-plant.js';
import { fireConfig, startRig, TIME_SCALE } from './support/rig.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

/** Two fire I/O plants (zones 2 and 3) and a journal folder, all removed after the test. */
async function twoZoneRig(): Promise<{ p2: FirePlant; p3: FirePlant; dir: string }> {
  const p2 = new FirePlant(2);
  const p3 = new FirePlant(2);
  await p2.start();
  await p3.start();
  cleanup.push(() => p2.stop(), () => p3.stop());
  const dir = mkdtempSync(join(tmpdir(), 'dcim-zones-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return { p2, p3, dir };
}

describe('zone independence (FS-38)', () => {
  it('FS-38 throw inside zone 2\'s action handler while zone 3 escalates → zone 3 keeps its sequence, zone 2 recovers with a trouble', async () => {
    const { p2, p3, dir } = await twoZoneRig();
    const base = fireConfig(2, { timings: { t3Ms: 600000 }, feedback: { breakerMs: 10000 } }) as { zones: unknown[] };
    base.zones = [
      { id: 'z2', room: 'BR2', fireIo: 'fire-br2', racks: 2 },
      { id: 'z3', room: 'BR3', fireIo: 'fire-br3', racks: 2 },
    ];
    const pub = new MemoryPublisher();
    let thrown = 0;
    const host = await startFireHost({
      // Poll 200 ms: the voter's staleness limit is 3 poll periods of wall time, so a loaded machine
      // (GC, 2 shared cores) must stall longer than 600 ms before a sample goes stale (at 50 ms a
      // 150 ms stall already invalidated the channels and delayed the vote).
      site: 'sim1', agent: 'edge-1', journalDir: dir, fire: base, pollMs: 200, timeScale: TIME_SCALE, socket: false,
      devices: [{ id: 'fire-br2', host: '127.0.0.1', port: p2.port, racks: 2 }, { id: 'fire-br3', host: '127.0.0.1', port: p3.port, racks: 2 }],
    }, {
      publisher: pub,
      onEffect: (zone, e) => { if (zone === 'z2' && e.type === 'cmd' && thrown === 0) { thrown++; throw new Error('injected fault in zone 2 action handler'); } },
    });
    cleanup.push(() => host.stop());
    // Zone 3 runs away (stage 3); zone 2 has off-gas (stage 0) — two zones at ≥ 3 would hand over (FS-21).
    p3.set('rack.1.probe.a.temperature', 85);
    p3.set('rack.1.probe.b.temperature', 86);
    p2.set('rack.1.offgas', true);
    const z2 = host.runtime.zones.get('z2')!;
    const z3 = host.runtime.zones.get('z3')!;
    // Wait on the zone's own records (the journal outcome of the release), bounded generously: on a
    // loaded machine the sequence is slower in wall time but its order and outcome are the same.
    const nozzleConfirmed = () => z3.journal.readAll().some((r) => r.type === 'outcome' && r.data.actuator === 'rack.1.nozzle' && r.data.ok === true);
    await waitFor(nozzleConfirmed, { what: 'zone 3 nozzle release confirmed in its journal', timeoutMs: 90_000, intervalMs: 100 });
    expect(p3.get('rack.1.nozzle.pressure')).toBe(true);
    await waitFor(() => z2.stateDoc().stage >= 0 && !z2.isRecovering && p2.get('rack.1.breaker.open') === true, { what: 'zone 2 recovered and isolated', timeoutMs: 60_000, intervalMs: 100 });
    expect(thrown).toBe(1);
    expect(z2.crashes).toBe(1);
    const j2 = z2.journal.readAll().map((r) => `${r.type}${r.type === 'zone.start' ? `:${String(r.data.why)}` : ''}`);
    expect(j2).toContain('zone.crash');
    expect(j2.indexOf('zone.start:crash')).toBeGreaterThan(j2.indexOf('zone.crash'));
    expect(z3.journal.readAll().some((r) => r.type === 'zone.crash' || (r.type === 'zone.start' && r.data.why === 'crash'))).toBe(false);
    expect(z3.crashes).toBe(0);
    expect(pub.events.some((e) => e.zone === 'z2' && e.severity === 'P1' && /runtime error, restarting/.test(e.message))).toBe(true);
  }, 180_000);
});

describe('site coordination (FS-21)', () => {
  it('FS-21 two zones at stage ≥ 3 at once → hand-over to the fire department in both, journaled with its reason; no nozzle release afterwards', async () => {
    const { p2, p3, dir } = await twoZoneRig();
    const base = fireConfig(2) as { zones: unknown[] };
    base.zones = [{ id: 'z2', room: 'BR2', fireIo: 'fire-br2', racks: 2 }, { id: 'z3', room: 'BR3', fireIo: 'fire-br3', racks: 2 }];
    const host = await startFireHost({
      site: 'sim1', agent: 'edge-1', journalDir: dir, fire: base, pollMs: 50, timeScale: TIME_SCALE, socket: false,
      devices: [{ id: 'fire-br2', host: '127.0.0.1', port: p2.port, racks: 2 }, { id: 'fire-br3', host: '127.0.0.1', port: p3.port, racks: 2 }],
    }, { publisher: new MemoryPublisher() });
    cleanup.push(() => host.stop());
    for (const p of [p2, p3]) { p.set('rack.1.probe.a.temperature', 85); p.set('rack.1.probe.b.temperature', 86); }
    const zones = [host.runtime.zones.get('z2')!, host.runtime.zones.get('z3')!];
    await waitFor(() => zones.every((z) => z.stateDoc().fdControl !== null), { what: 'both zones in fdControl', timeoutMs: 20_000 });
    for (const z of zones) {
      const h = z.journal.readAll().find((r) => r.type === 'handover')!;
      expect(String(h.data.reason)).toMatch(/z2, z3 at stage ≥ 3/);
    }
    await new Promise((r) => setTimeout(r, 1000)); // 10 s of agent time: the 5 s nozzle countdown would have ended
    expect([...p2.writes, ...p3.writes].filter((w) => /nozzle|gas\.release/.test(w.point))).toEqual([]);
  });
});

describe('edge autonomy with the broker gone (FS-32)', () => {
  it('FS-32 broker stopped during a runaway → every action on time at the edge; on reconnect the server receives every event in order with no gaps', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const got: AgentEvent[] = [];
    const sub = mqtt.connect(broker.url, { clientId: 'test-server', clean: false, reconnectPeriod: 100 });
    cleanup.push(() => sub.endAsync(true));
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    await sub.subscribeAsync('dcim/v1/sim1/edge-1/event', { qos: 1 });
    sub.on('message', (_t, b) => got.push(JSON.parse(b.toString()) as AgentEvent));
    const rig = await startRig({ racks: 2, broker: broker.url, config: fireConfig(2, { feedback: { breakerMs: 10000 } }) });
    cleanup.push(() => rig.close());
    await waitFor(() => got.length > 0, { what: 'first event over MQTT' });
    await broker.stop();
    rig.plant.set('rack.1.probe.a.temperature', 85);
    rig.plant.set('rack.1.probe.b.temperature', 86);
    await rig.until(() => rig.plant.get('rack.1.nozzle.pressure') === true, 'nozzles discharged with the broker down');
    expect(rig.host.mqtt!.pending()).toBeGreaterThan(0);
    const seqAtOutage = got.length;
    await broker.start();
    await waitFor(() => rig.host.mqtt!.pending() === 0 && got.length > seqAtOutage, { what: 'queued events delivered', timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const seqs = got.map((e) => e.seq);
    const uniq = [...new Set(seqs)];
    expect(uniq).toEqual(Array.from({ length: uniq.length }, (_, i) => i + 1));
    expect(got.some((e) => e.kind === 'fire.transition' && (e.data as { stage?: number }).stage! >= 3)).toBe(true);
    expect(got.some((e) => e.kind === 'fire.actuation' && /rack\.1\.nozzle release: confirmed/.test(e.message))).toBe(true);
  });
});
