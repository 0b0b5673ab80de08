import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { buildLocalCommand } from '../../agent/fire/local-cli.js';
import { localRequest } from '../../agent/fire/local-control.js';
import { fireConfig, startRig, type Rig } from './support/rig.js';

let rig: Rig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

describe('isolation override as a signed command (FS-09/Q4, FS-32)', () => {
  it('FS-09/Q4 isolation failed at stage 4 → water waits; a signed operator override is refused, a signed firedept override starts the water', async () => {
    // T3 short and no pre-discharge wait so stage 4 comes quickly; the upstream breaker's runtime
    // timeout (2 × 60 s of agent time) stays far beyond the test, so no automatic hand-over.
    rig = await startRig({
      racks: 2, timeScale: 5,
      config: fireConfig(2, { timings: { nozzlePreDischargeMs: 0, t3Ms: 1000 }, feedback: { breakerMs: 60000 } }),
    });
    const r = rig;
    r.plant.faults.coilStuck = new Set(['rack.1.breaker.open.cmd']); // rack 1's breaker cannot be opened
    r.plant.faults.upstreamStuck = true;                             // nor the upstream breaker
    r.plant.set('rack.1.probe.a.temperature', 85);
    r.plant.set('rack.1.probe.b.temperature', 86);
    const zone = r.host.runtime.zones.get('z1')!;
    const alarm = (id: string) => (zone.stateDoc().alarms as Record<string, { active: boolean; priority: number } | undefined>)[id];
    await r.until(() => r.stage() >= 4 && alarm('isolationFailed')?.active === true, 'stage 4 with isolation failed', 30_000);
    await r.until(() => alarm('waterInterlock')?.active === true, 'water waiting for isolation', 30_000);
    expect(r.plant.writes.filter((w) => /spray|drain/.test(w.point))).toEqual([]);
    expect(zone.stateDoc().fdControl).toBeNull();

    const sock = join(r.dir, 'fire.sock');
    // Commands are stamped on the host's clock (scaled ×10 here): on the wall clock their 5 s
    // validity would be 0.5 s of host time and a loaded machine would see them expire.
    const key = readFileSync(join(r.dir, 'local.key'), 'utf8').trim();
    const asOperator = buildLocalCommand({ kind: 'isolation.override', zone: 'z1', actors: [{ user: 'oscar', role: 'operator' }], reason: 'water now', key, now: r.host.clock.now() });
    expect((await localRequest(sock, 'POST', '/cmd', asOperator)).body).toMatchObject({ ok: false, reason: expect.stringMatching(/admin or firedept/) });
    expect(r.plant.writes.filter((w) => /spray/.test(w.point))).toEqual([]);

    const asFd = buildLocalCommand({ kind: 'isolation.override', zone: 'z1', actors: [{ user: 'chief', role: 'firedept' }], reason: 'isolation failed, cool the rack', key, now: r.host.clock.now() });
    expect((await localRequest(sock, 'POST', '/cmd', asFd)).body).toMatchObject({ ok: true, status: 'done' });
    await r.until(() => r.plant.get('rack.1.spray.flow') === true, 'water flowing on rack 1', 30_000);
    const j = r.journal();
    const accepted = j.filter((x) => x.type === 'command.accepted' && x.data.kind === 'isolation.override');
    expect(accepted).toHaveLength(2);
    const sprayIntent = j.find((x) => x.type === 'decision.intent' && x.data.actuator === 'rack.1.spray')!;
    expect(sprayIntent.seq).toBeGreaterThan(accepted[1]!.seq);
    expect(alarm('isolationOverride')).toMatchObject({ active: true, priority: 1 });
  });
});
