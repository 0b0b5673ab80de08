import { describe, expect, it } from 'vitest';
import { alarmStep, compareAlarms, ISA_LETTER, newAlarm, RE_ALARM_MS, serviceStatus, type AlarmDefinition, type AlarmEvent, type AlarmInstance } from './alarm-machine.js';

const H = 3_600_000;
const stage1: AlarmDefinition = { id: 'z1/stage1', class: 'alarm', priority: 1, latched: true, lifeSafety: true };
const gasLow: AlarmDefinition = { id: 'z1/gasLow', class: 'supervisory', priority: 2, latched: false, lifeSafety: false };
const bmsComm: AlarmDefinition = { id: 'z1/bmsComm', class: 'trouble', priority: 3, latched: false, lifeSafety: false };
const op = { role: 'operator' as const, user: 'oscar' };
const admin = { role: 'admin' as const, user: 'alice' };

function run(def: AlarmDefinition, evs: AlarmEvent[]): { a: AlarmInstance; states: string[]; refusals: string[]; sounds: number } {
  let a = newAlarm(def, 0);
  const states = [ISA_LETTER[a.state]];
  const refusals: string[] = [];
  let sounds = 0;
  for (const e of evs) {
    const r = alarmStep(a, e);
    a = r.alarm;
    if (!r.ok) refusals.push(r.reason!);
    if (r.annunciate) sounds++;
    states.push(ISA_LETTER[a.state]);
  }
  return { a, states, refusals, sounds };
}

describe('ISA-18.2 alarm model (§3, FS-24..26)', () => {
  it('non-latched: A → B → C → A, and B → D → A on return then acknowledge', () => {
    expect(run(gasLow, [{ type: 'CONDITION', active: true, ts: 1 }, { type: 'ACK', ...op, ts: 2 }, { type: 'CONDITION', active: false, ts: 3 }]).states).toEqual(['A', 'B', 'C', 'A']);
    expect(run(gasLow, [{ type: 'CONDITION', active: true, ts: 1 }, { type: 'CONDITION', active: false, ts: 2 }, { type: 'ACK', ...op, ts: 3 }]).states).toEqual(['A', 'B', 'D', 'A']);
  });

  it('latched: B → L1 → L2 → RESET (admin, inactive and acknowledged) → A; reset refused while active or unacknowledged', () => {
    const r = run(stage1, [
      { type: 'CONDITION', active: true, ts: 1 },
      { type: 'RESET', ...admin, ts: 2 },
      { type: 'CONDITION', active: false, ts: 3 },
      { type: 'RESET', ...admin, ts: 4 },
      { type: 'ACK', ...op, ts: 5 },
      { type: 'RESET', ...op, ts: 6 },
      { type: 'RESET', ...admin, ts: 7 },
    ]);
    expect(r.states).toEqual(['A', 'B', 'B', 'L1', 'L1', 'L2', 'L2', 'A']);
    expect(r.refusals).toEqual(['the condition is still active', 'acknowledge before reset', 'reset needs the admin role']);
  });

  it('FS-25 shelving a stage-1 alarm → rejected; shelving a P2 for 2 h → rejected (out of range); 1 h accepted', () => {
    const s = run(stage1, [{ type: 'CONDITION', active: true, ts: 1 }, { type: 'SHELVE', ...op, reason: 'noisy', untilTs: 1 + H, ts: 1 }]);
    expect(s.refusals).toEqual(['life-safety and P1 alarms cannot be shelved']);
    const g = run(gasLow, [
      { type: 'CONDITION', active: true, ts: 1 },
      { type: 'SHELVE', ...op, reason: 'refill booked', untilTs: 1 + 2 * H, ts: 1 },
      { type: 'SHELVE', ...op, reason: 'refill booked', untilTs: 1 + H, ts: 1 },
    ]);
    expect(g.refusals).toEqual(['out of range: P2 shelves at most 1 h']);
    expect(g.a.state).toBe('SHLVD');
  });

  it('FS-25 a timed shelve expires → re-evaluated to active-unacknowledged or normal; restart with unknown expiry → unshelved', () => {
    const still = run(bmsComm, [{ type: 'CONDITION', active: true, ts: 0 }, { type: 'SHELVE', ...op, reason: 'known', untilTs: 2 * H, ts: 0 }, { type: 'TICK', ts: 2 * H }]);
    expect(still.states.slice(-1)).toEqual(['B']);
    const gone = run(bmsComm, [{ type: 'CONDITION', active: true, ts: 0 }, { type: 'SHELVE', ...op, reason: 'known', untilTs: 2 * H, ts: 0 }, { type: 'CONDITION', active: false, ts: H }, { type: 'TICK', ts: 2 * H }]);
    expect(gone.states.slice(-1)).toEqual(['A']);
    const oneShot = run(bmsComm, [{ type: 'CONDITION', active: true, ts: 0 }, { type: 'SHELVE', ...op, reason: 'x', oneShot: true, ts: 0 }, { type: 'RESTART', ts: 10 }]);
    expect(oneShot.states.slice(-1)).toEqual(['B']);
  });

  it('FS-25 life-safety alarms are never suppressed by design; they go out of service only through a permit', () => {
    const r = run(stage1, [{ type: 'SUPPRESS', on: true, ts: 1 }, { type: 'OUT_OF_SERVICE', on: true, ...op, ts: 2 }, { type: 'OUT_OF_SERVICE', on: true, permitId: 'BP-1', ...op, ts: 3 }]);
    expect(r.refusals).toEqual(['life-safety and P1 alarms are never suppressed by design', 'out of service needs a bypass permit (FS-27)']);
    expect(r.a.state).toBe('OOSRV');
    const back = alarmStep({ ...r.a, active: true }, { type: 'OUT_OF_SERVICE', on: false, ...op, ts: 4 });
    expect(back.alarm.state).toBe('UNACK');
  });

  it('FS-26 suppression by design hides a consequential alarm and re-evaluates when the design condition ends', () => {
    const r = run(bmsComm, [{ type: 'SUPPRESS', on: true, ts: 1 }, { type: 'CONDITION', active: true, ts: 2 }, { type: 'SUPPRESS', on: false, ts: 3 }]);
    expect(r.states).toEqual(['A', 'F', 'F', 'B']);
    expect(r.sounds).toBe(1);
  });

  it('FS-26 an unacknowledged P1 re-alarms every 5 min; silence is neither acknowledge nor reset', () => {
    const r = run(stage1, [
      { type: 'CONDITION', active: true, ts: 0 },
      { type: 'SILENCE', ...op, ts: 1 },
      { type: 'TICK', ts: RE_ALARM_MS - 1 },
      { type: 'TICK', ts: RE_ALARM_MS },
      { type: 'TICK', ts: 2 * RE_ALARM_MS },
    ]);
    expect(r.sounds).toBe(3);
    expect(r.a.state).toBe('UNACK');
    expect(r.a.silenced).toBe(false);
  });

  it('FS-24 a stage-1 alarm, a gas-low supervisory and a BMS-communication trouble → listed in that order; status Down', () => {
    const list = [newAlarm(bmsComm, 1), newAlarm(gasLow, 2), newAlarm(stage1, 3)].map((a) => alarmStep(a, { type: 'CONDITION', active: true, ts: 5 }).alarm);
    expect([...list].sort(compareAlarms).map((a) => a.def.id)).toEqual(['z1/stage1', 'z1/gasLow', 'z1/bmsComm']);
    expect(serviceStatus(list)).toBe('Down');
    expect(serviceStatus(list.filter((a) => a.def.priority > 1))).toBe('Warning');
  });
});
