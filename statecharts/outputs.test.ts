import { describe, expect, it } from 'vitest';
import { deriveStageFromField, designSuppression, reconcile, requiredOutputs, voterEnvFor } from './outputs.js';
import { FireParamsError, resolveParams } from './params.js';
import { ZoneHarness } from './zone/harness.js';

describe('outputs: level-triggered, reconciled with the field (§2.6, FS-08, FS-31)', () => {
  it('FS-08/FS-09 stage 3 requires every zone breaker open, the curtain down, the nozzle once decided; reconcile orders isolation first', () => {
    const h = new ZoneHarness({ racks: [1, 2], params: { feedback: { breakerMs: 60_000, curtainMs: 60_000 } } });
    h.vote('S3', [2]).advance(5000);
    const req = requiredOutputs(h.ctx);
    expect(req).toMatchObject({ 'rack.1.breaker': 'open', 'rack.2.breaker': 'open', 'rack.2.curtain': 'down', 'rack.2.nozzle': 'release', 'room.charge.inhibit': 'on' });
    expect(req['rack.1.curtain']).toBeUndefined();
    const cmds = reconcile(req, { 'rack.2.nozzle': 'ready', 'rack.1.breaker': 'open' }, {}, h.ctx.affectedRacks);
    expect(cmds.map((c) => c.actuator)).toEqual(['rack.2.breaker', 'rack.2.curtain', 'room.charge.inhibit', 'room.predischarge', 'rack.2.nozzle']);
  });

  it('FS-09/FS-12 rack-first isolation: the affected racks\' breaker and curtain come before the charge inhibit and the rest of the zone, then releases and water', () => {
    const racks = Array.from({ length: 100 }, (_, i) => i + 1);
    const h = new ZoneHarness({ racks, params: { feedback: { breakerMs: 60_000, curtainMs: 60_000 } } });
    h.vote('S3', [57]);
    // the machine's own commands: the burning rack first, then the zone
    expect(h.cmds().slice(0, 4)).toEqual(['rack.57.breaker:open', 'rack.57.curtain:down', 'room.charge.inhibit:on', 'rack.1.breaker:open']);
    expect(h.cmds().filter((c) => /breaker/.test(c))).toHaveLength(100);
    // reconcile after a restart with nothing confirmed: same order, whatever the order of `required`
    const req = Object.fromEntries(Object.entries(requiredOutputs(h.ctx)).reverse());
    const order = reconcile(req, {}, {}, h.ctx.affectedRacks).map((c) => c.actuator);
    expect(order.slice(0, 3)).toEqual(['rack.57.breaker', 'rack.57.curtain', 'room.charge.inhibit']);
    expect(order.indexOf('rack.57.curtain')).toBeLessThan(order.indexOf('rack.1.breaker'));
    expect(order.indexOf('rack.100.breaker')).toBeLessThan(order.indexOf('room.predischarge'));
    // without the affected racks the plain dependency order still holds (isolation, curtain, signals)
    const plain = reconcile(req, {}).map((c) => c.actuator);
    expect(plain.indexOf('rack.57.curtain')).toBeGreaterThan(plain.indexOf('rack.1.breaker'));
  });

  it('FS-31 one-shots are re-issued only when the field explicitly shows them not discharged; in-flight outputs are not doubled', () => {
    const req = { 'room.gas': 'release', 'rack.1.nozzle': 'release', 'rack.1.breaker': 'open' };
    expect(reconcile(req, {}).map((c) => c.actuator)).toEqual(['rack.1.breaker']);
    expect(reconcile(req, { 'room.gas': 'release', 'rack.1.nozzle': 'release', 'rack.1.breaker': 'open' })).toEqual([]);
    expect(reconcile(req, { 'room.gas': 'ready' }, { 'rack.1.breaker': 'open' }).map((c) => c.actuator)).toEqual(['room.gas']);
  });

  it('FS-08 a failed or inhibited one-shot is never required again; after reset the breakers stay required open until REENERGIZE', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S3', [1]).confirmAll().advance(5000);
    const n = h.ctx.actuators['rack.1.nozzle']!;
    h.send({ type: 'ACTUATOR.FAILED', actuator: 'rack.1.nozzle', op: 'release', intentId: n.intentId, result: 'timeout', ts: h.now + 10_000 });
    expect(requiredOutputs(h.ctx)['rack.1.nozzle']).toBeUndefined();
    expect(reconcile(requiredOutputs(h.ctx), { 'rack.1.nozzle': 'ready' }).some((c) => c.actuator === 'rack.1.nozzle')).toBe(false);
  });

  it('FS-31 step 7: the stage the field proves', () => {
    expect(deriveStageFromField({ 'room.gas': 'release', 'rack.1.spray': 'on' })).toMatchObject({ stage: 5 });
    expect(deriveStageFromField({ 'rack.3.spray': 'on' })).toEqual({ stage: 4, evidence: ['rack.3.spray on'] });
    expect(deriveStageFromField({ 'rack.3.nozzle': 'release', 'rack.3.spray': 'off' })).toMatchObject({ stage: 3 });
    expect(deriveStageFromField({ 'rack.2.patch': 'fired' })).toMatchObject({ stage: 2 });
    expect(deriveStageFromField({ 'rack.2.breaker': 'open' })).toMatchObject({ stage: 1 });
    expect(deriveStageFromField({ 'rack.2.breaker': 'close', 'room.gas': 'ready' })).toEqual({ stage: -1, evidence: [] });
  });

  it('FS-26/27 the camera is occluded by design once the curtain is down; bypassed channels reach the voter', () => {
    const h = new ZoneHarness({ racks: [1] });
    expect(voterEnvFor(h.ctx)).toEqual({ cameraOccluded: false, bypassed: [] });
    h.human('BYPASS.START', [{ user: 'o', role: 'operator' }], { rack: 1, channel: 'bms', permitId: 'B', expiresAt: h.now + 60_000 });
    h.vote('S1', [1]);
    expect(voterEnvFor(h.ctx)).toEqual({ cameraOccluded: true, bypassed: ['1/bms'] });
  });

  it('FS-36 parameters: stage 2 below stage 1 is refused with the key; defaults match the config schema', () => {
    expect(() => resolveParams({ thresholds: { stage2: 55 } })).toThrow(FireParamsError);
    expect(() => resolveParams({ thresholds: { stage2: 55 } })).toThrow(/stage1 60 < stage2 55/);
    expect(() => resolveParams({ timings: { onDelayMs: 20_000 } })).toThrow(/onDelayMs/);
    const p = resolveParams();
    expect([p.thresholds.stage1, p.thresholds.stage2, p.thresholds.stage3, p.timings.onDelayMs, p.timings.gasDelayMs]).toEqual([60, 68, 80, 2000, 30000]);
  });

  it('FS-31 a confirmed discharge whose pressure switch drops back is never required again', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S3', [1]).advance(5000);
    expect(requiredOutputs(h.ctx)['rack.1.nozzle']).toBe('release');
    h.feedback('rack.1.nozzle', 'release').feedback('rack.1.nozzle', 'ready');
    expect(requiredOutputs(h.ctx)['rack.1.nozzle']).toBeUndefined();
    expect(reconcile(requiredOutputs(h.ctx), { 'rack.1.nozzle': 'ready' }).some((c) => c.actuator === 'rack.1.nozzle')).toBe(false);
    expect(h.cmds().filter((c) => /nozzle/.test(c))).toHaveLength(1);
  });

  it('FS-26 after stage 1 isolates the zone its consequential alarms are suppressed by design and grouped under the stage alarm', () => {
    const h = new ZoneHarness({ racks: [1] });
    expect(designSuppression(h.ctx)).toEqual({ consequential: false, camera: false, groupUnder: null });
    h.vote('S1', [1]);
    expect(designSuppression(h.ctx)).toEqual({ consequential: true, camera: true, groupUnder: 'stage1' });
  });
});
