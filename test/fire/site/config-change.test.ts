/**
 * FS-36 Configuration is validated, versioned and changed only when safe: against the whole agent
 * and the simulator (config.apply over the local socket), and across a restart with an edited
 * configuration in the middle of an incident (fire host on the stand-in plant, same data dir).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fireConfigHash } from '../../../agent/fire/config-change.js';
import { verifyJournalFile } from '../../../agent/fire/journal.js';
import { run as fireCli } from '../../../agent/fire/local-cli.js';
import { validateFireConfig } from '../../../agent/fire/host.js';
import { FirePlant } from '../support/fire-plant.js';
import { fireConfig, startRig } from '../support/rig.js';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) { try { await c(); } catch { /* keep cleaning */ } } });

const ADMIN = [{ user: 'root', role: 'admin' as const }];

describe('FS-36 configuration changes only when safe', () => {
  it('FS-36 applying a config during stage 1 is deferred (admin + reason, validated, journaled) and applied after the reset; every journal record carries the config hash', async () => {
    const rig: SiteRig = await startSiteRig({ racks: 2 });
    cleanup.push(() => rig.close());
    const r = rig;
    await r.operational();
    const before = r.zone().stateDoc().configHash;
    await r.force('rack.1.probe.a.temperature', 65);
    await r.force('rack.1.probe.b.temperature', 65);
    await r.until(() => r.stage() >= 1, 'stage 1');

    const current = (r.agent.fire as unknown as { cfg: Record<string, unknown> }).cfg;
    const next = { ...structuredClone(current), thresholds: { ...(current.thresholds as object), stage1: 62 } };
    expect(await r.command('config.apply', { actors: [{ user: 'ann', role: 'operator' }], reason: 'tune', args: { fire: next } })).toMatchObject({ ok: false, reason: expect.stringMatching(/needs an admin/) });
    expect(await r.command('config.apply', { actors: ADMIN, args: { fire: next } })).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a reason/) });
    const bad = { ...next, thresholds: { ...next.thresholds, stage2: 55 } };
    expect(await r.command('config.apply', { actors: ADMIN, reason: 'tune', args: { fire: bad } })).toMatchObject({ ok: false, reason: expect.stringMatching(/fire\.thresholds\.stage2: must be above stage1/) });

    const deferred = await r.command('config.apply', { actors: ADMIN, reason: 'stage 1 at 62 °C per the hazard analysis', args: { fire: next } });
    expect(deferred).toMatchObject({ ok: true, status: 'accepted' });
    const nextHash = fireConfigHash(validateFireConfig(next));
    expect(r.agent.fire!.configState()).toMatchObject({ pending: { hash: nextHash, source: 'command' } });
    // The zone keeps running on the configuration it started the incident with.
    expect(r.zone().stateDoc().configHash).toBe(before);
    const site = verifyJournalFile(join(r.dataDir, 'fire', 'site', 'journal.jsonl'));
    expect(site.ok).toBe(true);
    expect(site.records.find((x) => x.type === 'config.deferred')?.data).toMatchObject({ hash: nextHash, actors: ADMIN, reason: 'stage 1 at 62 °C per the hazard analysis', activeZones: [{ zone: 'z1' }] });

    // The fire is over: inputs normal, alarms acknowledged, an admin resets → the change applies.
    r.unforce('rack.1.probe.a.temperature');
    r.unforce('rack.1.probe.b.temperature');
    await r.until(() => (r.zone().stateDoc().thermal as { maxC: number } | null)?.maxC !== undefined && (r.zone().stateDoc().thermal as { maxC: number }).maxC < 40, 'inputs normal');
    await r.until(async () => {
      await r.command('ack', { actors: [{ user: 'ann', role: 'operator' }] });
      return (await r.command('reset', { actors: ADMIN, reason: 'all clear' })).ok;
    }, 'alarms acknowledged and reset accepted');
    await r.until(() => r.agent.fire!.configState().pending === null || undefined, 'deferred config applied');
    await r.until(() => r.zone().stateDoc().configHash !== before || undefined, 'zone restarted on the new config');
    expect(r.agent.fire!.configState().effective).toBe(nextHash);
    const site2 = verifyJournalFile(join(r.dataDir, 'fire', 'site', 'journal.jsonl'));
    expect(site2.ok).toBe(true);
    expect(site2.records.find((x) => x.type === 'config.applied')?.data).toMatchObject({ hash: nextHash, source: 'command', reason: 'stage 1 at 62 °C per the hazard analysis' });
    // Every record names the configuration in effect when it was written.
    const zoneRecords = r.journal();
    expect(zoneRecords.every((x) => /^[0-9a-f]{64}$/.test(x.configHash))).toBe(true);
    const hashes = [...new Set(zoneRecords.map((x) => x.configHash))];
    expect(hashes).toEqual([before, r.zone().stateDoc().configHash]);
    expect(site2.records.filter((x) => x.type === 'config.applied').every((x) => x.configHash === nextHash)).toBe(true);
    // Idle (and recovered) now: the next change applies at once.
    const again = { ...next, thresholds: { ...next.thresholds, stage1: 61 } };
    await r.until(() => !r.zone().isRecovering || undefined, 'zone recovered on the new config');
    expect(await r.command('config.apply', { actors: ADMIN, reason: 'one more degree', args: { fire: again } })).toMatchObject({ ok: true, status: 'done', data: { applied: true } });
  }, 90_000);

  it('FS-36 an agent restarted with an edited configuration mid-incident keeps the zones on the configuration in effect and defers the new one', async () => {
    const plant = new FirePlant(2);
    await plant.start();
    cleanup.push(() => plant.stop());
    const dir = mkdtempSync(join(tmpdir(), 'dcim-fs36-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const cfg = fireConfig(2, { timings: { onDelayMs: 0 } });
    const first = await startRig({ plant, dir, config: cfg, timeScale: 1 });
    plant.set('rack.1.probe.a.temperature', 65);
    plant.set('rack.1.probe.b.temperature', 64);
    await first.until(() => first.stage() >= 1, 'stage 1');
    const hashBefore = first.host.runtime.zones.get('z1')!.stateDoc().configHash;
    await first.close();

    const edited = fireConfig(2, { timings: { onDelayMs: 0 } });
    (edited.thresholds as Record<string, number>).stage1 = 63;
    const second = await startRig({ plant, dir, config: edited, timeScale: 1 });
    cleanup.push(() => second.close());
    await second.until(() => !second.host.runtime.zones.get('z1')!.isRecovering || undefined, 'recovered');
    expect(second.stage()).toBeGreaterThanOrEqual(1);
    expect(second.host.runtime.zones.get('z1')!.stateDoc().configHash).toBe(hashBefore);
    expect(second.host.runtime.configState()).toMatchObject({ effective: fireConfigHash(validateFireConfig(cfg)), pending: { hash: fireConfigHash(validateFireConfig(edited)), source: 'restart' } });
    const site = verifyJournalFile(join(dir, 'site', 'journal.jsonl')).records;
    expect(site.find((x) => x.type === 'config.deferred')?.data).toMatchObject({ source: 'restart', activeZones: [{ zone: 'z1' }] });
    // The snapshot was restored (same configuration), not reconstructed from the field.
    expect(second.journal().filter((x) => x.type === 'zone.start').at(-1)?.data).toMatchObject({ restored: true });
  });

  it('FS-36 `dcim fire config-apply --file` refuses a config with stage 2 below stage 1 before anything is sent, naming the file, line and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcim-fs36-cli-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, [
      'site: sim1', 'agent: edge-1', 'devices:', '  - { id: fire-br1, profile: sim-fire-io, params: { racks: 2 }, modbus: { host: 127.0.0.1 } }',
      'fire:', '  thresholds:', '    stage1: 70', '    stage2: 65', '  zones:', '    - { id: z1, room: BR1, fireIo: fire-br1, racks: 2 }', '',
    ].join('\n'));
    let err = '';
    const code = await fireCli(['config-apply', '--file', file, '--user', 'root', '--role', 'admin', '--reason', 'tune', '--socket', join(dir, 'none.sock')], () => {}, (s) => { err += s; });
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:8:\\d+ fire\\.thresholds\\.stage2`));
    expect(err).toMatch(/must be above stage1/);
  });
});
