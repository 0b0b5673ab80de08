/**
 * FS-26 chattering at the edge (R49: ≥ 3 activations a minute) and the ISA-18.2 rule that an alarm
 * still unacknowledged after returning to normal is not annunciated again when it comes back: the
 * operator gets one annunciation and a chattering flag; the chattering alarm's return to normal is
 * held by a 60 s off-delay. Fire alarms and P1 are annunciated at every activation.
 */
import { describe, expect, it } from 'vitest';
import { persistZone, restoreZone, type PersistedZone } from './persistence.js';
import { CHATTER_OFF_DELAY_MS } from './zone/chatter.js';
import { OPERATOR, recordingMachine, ZoneHarness, type Recorded } from './zone/harness.js';
import type { ZoneContext, ZoneEvent } from './zone/types.js';

const ID = 'channel:1/probeA';
const OFF = `alarmOff:${ID}`;

const fault = (h: ZoneHarness, reason = 'stale') => h.send({ type: 'CHANNEL.FAULT', rack: 1, channel: 'probeA', reason, ts: h.now });
const restored = (h: ZoneHarness) => h.send({ type: 'CHANNEL.RESTORED', rack: 1, channel: 'probeA', ts: h.now });
type Annunciation = Extract<Recorded, { type: 'annunciate' }>;
const annunciations = (log: Recorded[], id: string) => log.filter((e): e is Annunciation => e.type === 'annunciate' && e.alarmId === id);
const raised = (log: Recorded[], id: string) => annunciations(log, id).filter((e) => e.active);
const returned = (log: Recorded[], id: string) => annunciations(log, id).filter((e) => !e.active);
const notes = (log: Recorded[], kind: string) => log.filter((e): e is Extract<Recorded, { type: 'journalNote' }> => e.type === 'journalNote' && e.kind === kind);

/** The probe goes bad for 6 s every 12 s, `times` times (5 times = one minute), starting now. */
function toggle(h: ZoneHarness, times: number): void {
  for (let i = 0; i < times; i++) {
    fault(h);
    h.advance(6000);
    restored(h);
    h.advance(6000);
  }
}

describe('zone machine: chattering alarms and re-activation (FS-26, ISA-18.2)', () => {
  it('FS-26 a channel trouble toggling 5 times a minute → one annunciation and a chattering flag', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    const t0 = h.now;
    toggle(h, 5);
    expect(raised(h.log, ID)).toHaveLength(1);
    // two returns to normal before the third activation flagged it; after that the off-delay holds
    expect(returned(h.log, ID)).toHaveLength(2);
    const a = h.ctx.alarms[ID]!;
    expect(a).toMatchObject({ class: 'trouble', priority: 3, active: true, acked: false, chattering: true });
    expect(a.activations).toEqual([0, 12_000, 24_000, 36_000, 48_000].map((d) => t0 + d));
    expect(notes(h.log, 'alarmChattering')).toHaveLength(1);
    expect(notes(h.log, 'alarmChattering')[0]!.data).toMatchObject({ alarmId: ID, activations: 3 });
    // the 2nd and 3rd activation came back from an unacknowledged return to normal: journalled, not annunciated
    expect(notes(h.log, 'alarmReactivated').map((n) => n.at)).toEqual([t0 + 12_000, t0 + 24_000]);
    // the last return to normal (at +54 s) is held until +114 s
    expect(h.ctx.deadlines[OFF]).toBe(t0 + 54_000 + CHATTER_OFF_DELAY_MS);
  });

  it('FS-26 the off-delay holds a chattering alarm active, a re-activation within it cancels it silently, and at expiry it returns to normal', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    toggle(h, 3);
    expect(h.ctx.alarms[ID]!.chattering).toBe(true);
    const released = h.ctx.deadlines[OFF]!;
    // back 30 s into the off-delay: nothing annunciated, the hold is cancelled, the alarm stays active
    h.advance(30_000 - 6000);
    const before = h.log.length;
    fault(h);
    expect(h.ctx.deadlines[OFF]).toBeUndefined();
    expect(h.log.slice(before).filter((e) => e.type === 'annunciate')).toEqual([]);
    expect(h.log.slice(before).some((e) => e.type === 'cancelDeadline' && e.name === OFF)).toBe(true);
    // normal again: a new, full off-delay from now
    h.advance(5000);
    restored(h);
    const rtn = h.now;
    expect(h.ctx.deadlines[OFF]).toBe(rtn + CHATTER_OFF_DELAY_MS);
    expect(h.ctx.deadlines[OFF]).toBeGreaterThan(released);
    const n = returned(h.log, ID).length;
    h.advance(CHATTER_OFF_DELAY_MS - 1000);
    expect(h.ctx.alarms[ID]!.active).toBe(true);
    expect(returned(h.log, ID)).toHaveLength(n);
    h.advance(2000);
    expect(returned(h.log, ID)).toHaveLength(n + 1);
    expect(returned(h.log, ID).at(-1)!.at).toBe(rtn + CHATTER_OFF_DELAY_MS);
    expect(h.ctx.deadlines[OFF]).toBeUndefined();
    // unacknowledged: it stays listed with its flag until the operator acknowledges it
    expect(h.ctx.alarms[ID]).toMatchObject({ active: false, acked: false, chattering: true });
    h.human('ACK', [OPERATOR], { alarmId: ID });
    expect(h.ctx.alarms[ID]).toBeUndefined();
    // a fault long after is a fresh alarm: annunciated, not chattering
    h.advance(5 * 60_000, 60_000);
    const r = raised(h.log, ID).length;
    fault(h);
    expect(raised(h.log, ID)).toHaveLength(r + 1);
    expect(h.ctx.alarms[ID]!.chattering).toBeUndefined();
  });

  it('FS-26 a chattering alarm acknowledged while held ends its episode when the off-delay runs out', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    toggle(h, 3);
    h.human('ACK', [OPERATOR], { alarmId: ID });
    expect(h.ctx.alarms[ID]).toMatchObject({ active: true, acked: true, chattering: true });
    h.advance(CHATTER_OFF_DELAY_MS);
    expect(h.ctx.alarms[ID]!.active).toBe(false);
    expect(h.ctx.alarms[ID]!.chattering).toBeUndefined();
    expect(notes(h.log, 'alarmChatterEnded').map((e) => e.data.alarmId)).toEqual([ID]);
  });

  it('FS-26 a changed reason on a held chattering channel is annunciated at once with the new reason', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    toggle(h, 3);
    fault(h, 'suspect_stuck');
    expect(raised(h.log, ID).at(-1)).toMatchObject({ text: 'rack 1 probeA: suspect_stuck' });
    expect(h.ctx.alarms[ID]).toMatchObject({ active: true, text: 'rack 1 probeA: suspect_stuck', chattering: true });
    expect(h.ctx.deadlines[OFF]).toBeUndefined();
  });

  it('FS-26 a P1 supervisory and a fire alarm that toggle are annunciated every time, never flagged or held', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    for (let i = 0; i < 5; i++) {
      h.send({ type: 'WATER_SUPPLY', ok: false, ts: h.now });
      h.send({ type: 'VOTE.WATCH', racks: [1], ts: h.now });
      h.advance(6000);
      h.send({ type: 'WATER_SUPPLY', ok: true, ts: h.now });
      h.send({ type: 'VOTE.CLEAR', ts: h.now });
      h.advance(6000);
    }
    expect(raised(h.log, 'waterSupply')).toHaveLength(5);
    expect(returned(h.log, 'waterSupply')).toHaveLength(5);
    expect(raised(h.log, 'watch')).toHaveLength(5);
    expect(returned(h.log, 'watch')).toHaveLength(5);
    for (const id of ['waterSupply', 'watch']) {
      expect(h.ctx.alarms[id]!.chattering).toBeUndefined();
      expect(h.ctx.alarms[id]!.activations).toBeUndefined();
      expect(h.ctx.deadlines[`alarmOff:${id}`]).toBeUndefined();
    }
    expect(notes(h.log, 'alarmChattering')).toEqual([]);
  });

  it('ISA-18.2 an acknowledged alarm that becomes active again is annunciated again', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    fault(h);
    h.human('ACK', [OPERATOR], { alarmId: ID });
    h.advance(20_000);
    restored(h);
    h.advance(20_000);
    fault(h);
    expect(raised(h.log, ID)).toHaveLength(2);
    expect(h.ctx.alarms[ID]).toMatchObject({ active: true, acked: false });
    // acknowledged after its return to normal (the record goes), then back: annunciated again
    h.advance(20_000);
    restored(h);
    h.human('ACK', [OPERATOR], { alarmId: ID });
    expect(h.ctx.alarms[ID]).toBeUndefined();
    h.advance(30_000);
    fault(h);
    expect(raised(h.log, ID)).toHaveLength(3);
    expect(notes(h.log, 'alarmReactivated')).toEqual([]);
  });

  it('FS-30 a snapshot from before this change (alarm records without activations) restores and counts from there', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    fault(h);
    h.advance(5000);
    restored(h);
    const stored = JSON.parse(JSON.stringify(persistZone(h.actor, 'cfg'))) as PersistedZone;
    const alarms = (stored.snapshot as unknown as { context: ZoneContext }).context.alarms;
    for (const a of Object.values(alarms)) { delete a.activations; delete a.chattering; }
    expect(alarms[ID]).toMatchObject({ active: false, acked: false });
    h.actor.stop();
    const log: Recorded[] = [];
    const actor = restoreZone(recordingMachine(log) as never, stored, 'cfg');
    actor.start();
    let now = h.now;
    const send = (e: ZoneEvent) => actor.send(e);
    for (let i = 0; i < 3; i++) {
      now += 6000;
      send({ type: 'CHANNEL.FAULT', rack: 1, channel: 'probeA', reason: 'stale', ts: now });
      now += 6000;
      send({ type: 'CHANNEL.RESTORED', rack: 1, channel: 'probeA', ts: now });
    }
    // still unacknowledged from before the restart: the re-activations are not annunciated
    expect(raised(log, ID)).toEqual([]);
    const a = actor.getSnapshot().context.alarms[ID]!;
    expect(a).toMatchObject({ active: true, chattering: true });
    expect(a.activations).toHaveLength(3);
    expect(actor.getSnapshot().context.deadlines[OFF]).toBe(now + CHATTER_OFF_DELAY_MS);
    actor.stop();
  });
});
