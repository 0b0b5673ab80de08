import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actuation, type FireIoPort } from '../../agent/fire/actuation.js';
import { FakeTimerHost } from '../../agent/fire/clock.js';
import { FieldState } from '../../agent/fire/field.js';
import { Journal } from '../../agent/fire/journal.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const TIMEOUTS = { breakerMs: 2000, curtainMs: 30000, dischargeMs: 10000, waterMs: 20000, hvacMs: 15000 };

/** A field with simple plant behaviour: each command's feedback follows `delayMs` later unless a fault says otherwise. */
function rig(faults: { welded?: boolean; auxLies?: boolean; noPressure?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dcim-act-'));
  dirs.push(dir);
  const clock = new FakeTimerHost();
  const field = new FieldState();
  const journal = new Journal({ dir, zone: 'z1', clock, configHash: 'c', machineVersion: 'm' });
  journal.open();
  const set = (name: string, value: boolean | number) => field.update({ site: 's', device: 'fire-br1', name, value, ts: clock.now(), quality: 'good' });
  set('rack.1.breaker.open', false); set('rack.1.breaker.current', 120); set('rack.1.nozzle.pressure', false);
  set('rack.1.curtain.down', false);
  const writes: { point: string; value: boolean | number; journalTypesBefore: string[] }[] = [];
  const io: FireIoPort = {
    async writePoint(_device, point, value) {
      writes.push({ point, value, journalTypesBefore: journal.readAll().map((r) => `${r.type}:${String(r.data.point ?? r.data.intentId)}`) });
      clock.setTimer(() => {
        if (point === 'rack.1.breaker.open.cmd' && value === true) {
          if (!faults.welded || faults.auxLies) set('rack.1.breaker.open', true);
          if (!faults.welded) set('rack.1.breaker.current', 0.2);
        }
        if (point === 'rack.1.nozzle.release.cmd' && !faults.noPressure) set('rack.1.nozzle.pressure', true);
        if (point === 'room.upstream.breaker.open.cmd') set('room.upstream.breaker.open', true);
        if (point === 'rack.1.curtain.down.cmd') set('rack.1.curtain.down', true);
      }, 300);
      return { ok: true, readBack: value };
    },
  };
  const attempts: { attempt: number; final: boolean; ok: boolean }[] = [];
  const contradictions: string[] = [];
  const act = new Actuation({
    zone: 'z1', device: 'fire-br1', io, field, journal, clock, timeouts: TIMEOUTS,
    onAttempt: (o) => attempts.push({ attempt: o.attempt, final: o.final, ok: o.ok }),
    onContradiction: (c) => contradictions.push(c.why),
  });
  act.start();
  return { clock, field, journal, writes, act, attempts, contradictions, set };
}

/** Let the promise chain run while moving the fake clock. */
async function run<T>(clock: FakeTimerHost, p: Promise<T>, stepMs = 100, maxMs = 60_000): Promise<T> {
  let done = false;
  let value!: T;
  void p.then((v) => { done = true; value = v; });
  for (let t = 0; t <= maxMs && !done; t += stepMs) {
    await new Promise((r) => setImmediate(r));
    if (!done) clock.advance(stepMs);
  }
  await new Promise((r) => setImmediate(r));
  if (!done) throw new Error('did not finish');
  return value;
}

describe('verified actuation (FS-12, FS-30)', () => {
  it('FS-30 the intent is journaled (fsync) before the write, the outcome after the feedback', async () => {
    const r = rig();
    const out = await run(r.clock, r.act.execute({ actuator: 'rack.1.breaker', op: 'open', intentId: 'i-1' }));
    expect(out).toMatchObject({ ok: true, result: 'confirmed', attempts: 1 });
    expect(r.writes).toHaveLength(1);
    expect(r.writes[0]!.journalTypesBefore).toEqual(['intent:rack.1.breaker.open.cmd']);
    const types = r.journal.readAll().map((x) => x.type);
    expect(types).toEqual(['intent', 'outcome']);
    const outcome = r.journal.readAll()[1]!;
    expect(outcome.data).toMatchObject({ intentId: 'i-1', ok: true, feedback: { 'rack.1.breaker.open': true, 'rack.1.breaker.current': 0.2 } });
    expect(outcome.data.latencyMs).toBeGreaterThanOrEqual(300);
  });

  it('FS-12 isolate with the contactor welded (120 A persists) → after 2 s isolation failed, exactly one retry in the journal', async () => {
    const r = rig({ welded: true });
    const out = await run(r.clock, r.act.execute({ actuator: 'rack.1.breaker', op: 'open', intentId: 'i-2' }));
    expect(out).toMatchObject({ ok: false, result: 'timeout', attempts: 2 });
    const recs = r.journal.readAll();
    expect(recs.filter((x) => x.type === 'intent').map((x) => x.data.attempt)).toEqual([1, 2]);
    expect(recs.filter((x) => x.type === 'outcome').map((x) => x.data.ok)).toEqual([false, false]);
    expect(r.writes.map((w) => w.point)).toEqual(['rack.1.breaker.open.cmd', 'rack.1.breaker.open.cmd']);
    expect(r.attempts).toEqual([{ attempt: 1, final: false, ok: false }, { attempt: 2, final: true, ok: false }]);
  });

  it('FS-12 feedback lies: aux contact says open, current 120 A → current wins, contradicted, not isolated', async () => {
    const r = rig({ welded: true, auxLies: true });
    const out = await run(r.clock, r.act.execute({ actuator: 'rack.1.breaker', op: 'open', intentId: 'i-3' }));
    expect(out.ok).toBe(false);
    expect(out.result).toBe('contradicted');
    expect(out.reason).toMatch(/aux contact says open but rack\.1\.breaker\.current = 120 A/);
  });

  it('FS-12 nozzle with no pressure switch → failed after the discharge timeout, never retried (one-shot)', async () => {
    const r = rig({ noPressure: true });
    const out = await run(r.clock, r.act.execute({ actuator: 'rack.1.nozzle', op: 'release', intentId: 'i-4' }));
    expect(out).toMatchObject({ ok: false, result: 'timeout', attempts: 1 });
    expect(r.writes).toHaveLength(1);
    expect(r.journal.readAll().filter((x) => x.type === 'intent')).toHaveLength(1);
  });

  it('FS-12 a contactor re-closing after confirmed isolation is reported once as a contradiction', async () => {
    const r = rig();
    await run(r.clock, r.act.execute({ actuator: 'rack.1.breaker', op: 'open', intentId: 'i-5' }));
    r.set('rack.1.breaker.current', 118);
    r.set('rack.1.breaker.current', 119);
    expect(r.contradictions).toHaveLength(1);
    expect(r.contradictions[0]).toMatch(/118 A/);
    expect(r.journal.readAll().map((x) => x.type)).toContain('feedback.contradiction');
  });

  it('the same actuator and op already in flight is not written twice', async () => {
    const r = rig();
    const a = r.act.execute({ actuator: 'rack.1.curtain', op: 'down', intentId: 'c-1' });
    const b = r.act.execute({ actuator: 'rack.1.curtain', op: 'down', intentId: 'c-2' });
    expect(a).toBe(b);
    await run(r.clock, a);
    expect(r.writes).toHaveLength(1);
  });

  it('an unknown actuator is a journaled failure with a clear reason, not a crash', async () => {
    const r = rig();
    const out = await r.act.execute({ actuator: 'rack.1.teleporter', op: 'engage', intentId: 'x-1' });
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(/has no operation 'engage'/);
    expect(r.writes).toHaveLength(0);
  });
});
