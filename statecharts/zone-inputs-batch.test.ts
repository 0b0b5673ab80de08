/**
 * INPUTS: a poll's FEEDBACK and CHANNEL.* events handled in one machine step (one context copy)
 * must leave the zone exactly as sending them one by one: same state, same context, same effects in
 * the same order. The runtime folds consecutive input events into one INPUTS (agent/fire/zone-runtime.ts).
 */
import { describe, expect, it } from 'vitest';
import { ZoneHarness, type Recorded } from './zone/harness.js';
import type { InputEvent, ZoneEvent } from './zone/types.js';

const RACKS = [1, 2, 3, 4];

/** A zone at stage 1 with every breaker and curtain commanded, some troubles standing. */
function atStage1(): ZoneHarness {
  const h = new ZoneHarness({ racks: RACKS });
  h.send({ type: 'CHANNEL.FAULT', rack: 4, channel: 'camera', reason: 'stale', ts: h.now });
  h.advance(1000);
  h.vote('S1', [2]);
  return h;
}

/** One poll's inputs: the isolation confirmed by the field, channel troubles raised and cleared, a degraded rack. */
function pollInputs(h: ZoneHarness): InputEvent[] {
  const ts = h.now;
  const out: InputEvent[] = [];
  for (const [a, rec] of Object.entries(h.ctx.actuators)) {
    if (rec.status === 'pending' && /breaker|curtain/.test(a)) out.push({ type: 'FEEDBACK', actuator: a, state: rec.op, ts, ...(/breaker/.test(a) ? { current: 0 } : {}) });
  }
  out.push({ type: 'CHANNEL.FAULT', rack: 1, channel: 'probeA', reason: 'stale', ts });
  out.push({ type: 'CHANNEL.FAULT', rack: 3, channel: 'bms', reason: 'bad', ts });
  out.push({ type: 'CHANNEL.RESTORED', rack: 4, channel: 'camera', ts });
  out.push({ type: 'CHANNEL.DEGRADED', rack: 3, validCount: 1, ts, reason: 'degraded voting (1oo1)' });
  out.push({ type: 'CHANNEL.FAULT', rack: 1, channel: 'probeA', reason: 'suspect_stuck', ts });
  return out;
}

const effects = (log: Recorded[], from: number) => log.slice(from).map(({ seqNo: _s, ...e }) => e);

describe('INPUTS (one step for a poll\'s input events)', () => {
  it('leaves the same state, context and effects (in order) as the same events sent one by one', () => {
    const a = atStage1();
    const b = atStage1();
    const inputs = pollInputs(a);
    expect(inputs.filter((e) => e.type === 'FEEDBACK').length).toBeGreaterThan(4); // breakers and curtains of the zone
    expect(pollInputs(b)).toEqual(inputs);
    const fromA = a.log.length;
    const fromB = b.log.length;
    for (const e of inputs) a.send(e as ZoneEvent);
    b.send({ type: 'INPUTS', events: inputs, ts: b.now });

    expect(b.value).toEqual(a.value);
    expect(b.ctx).toEqual(a.ctx);
    expect(effects(b.log, fromB)).toEqual(effects(a.log, fromA));
    // and they did something: the isolation is confirmed, the troubles are there
    expect(b.ctx.isolationConfirmed).toBe(true);
    expect(Object.keys(b.ctx.alarms)).toEqual(expect.arrayContaining(['channel:1/probeA', 'channel:3/bms']));
    expect(b.ctx.alarms['channel:1/probeA']!.text).toBe('rack 1 probeA: suspect_stuck');
    expect(effects(b.log, fromB).some((e) => e.type === 'journalOutcome')).toBe(true);
  });
});
