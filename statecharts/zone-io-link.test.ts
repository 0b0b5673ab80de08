/**
 * FS-26 consequential alarms: when a source device of the zone stops answering, one trouble stands
 * for it and the troubles of the channels it feeds are recorded but not annunciated; once it is
 * back, a channel still faulty after a grace period is annunciated. Fire alarms are never suppressed.
 */
import { describe, expect, it } from 'vitest';
import { IO_GRACE_MS } from './zone/inputs.js';
import { ZoneHarness } from './zone/harness.js';

const RACKS = [1, 2, 3, 4];
const annunciated = (h: ZoneHarness) => h.of('annunciate').filter((a) => a.active).map((a) => a.alarmId);

function fireIoStall(h: ZoneHarness): void {
  h.send({ type: 'IO.LINK', source: 'fireIo', device: 'fire-br1', up: false, reason: 'timeout', ts: h.now });
  for (const rack of RACKS) {
    for (const channel of ['probeA', 'probeB'] as const) h.send({ type: 'CHANNEL.FAULT', rack, channel, reason: 'stale', ts: h.now });
    h.send({ type: 'PATCH', rack, fired: false, fault: true, ts: h.now });
  }
}

describe('zone machine: a device that stops answering is one trouble (FS-26)', () => {
  it('FS-26 the fire I/O stalls: one P2 device trouble instead of 12 channel troubles; a BMS trouble still annunciates; the channel records stay for the reset check', () => {
    const h = new ZoneHarness({ racks: RACKS });
    fireIoStall(h);
    expect(annunciated(h)).toEqual(['io:fireIo']);
    expect(h.ctx.alarms['io:fireIo']).toMatchObject({ class: 'trouble', priority: 2, active: true });
    expect(h.ctx.alarms['io:fireIo']!.text).toMatch(/fire-br1 not answering \(timeout\)/);
    expect(Object.values(h.ctx.alarms).filter((a) => a.suppressedBy === 'io:fireIo')).toHaveLength(12);
    h.send({ type: 'CHANNEL.FAULT', rack: 2, channel: 'bms', reason: 'stale', ts: h.now });
    expect(annunciated(h)).toEqual(['io:fireIo', 'channel:2/bms']);
  });

  it('FS-26 the device comes back: restored channels vanish silently; one still faulty after the grace is annunciated then', () => {
    const h = new ZoneHarness({ racks: RACKS });
    fireIoStall(h);
    h.send({ type: 'IO.LINK', source: 'fireIo', device: 'fire-br1', up: true, ts: h.now });
    expect(h.ctx.alarms['io:fireIo']!.active).toBe(false);
    for (const rack of RACKS) {
      for (const channel of ['probeA', 'probeB'] as const) if (!(rack === 3 && channel === 'probeB')) h.send({ type: 'CHANNEL.RESTORED', rack, channel, ts: h.now });
      h.send({ type: 'PATCH', rack, fired: false, ts: h.now });
    }
    expect(Object.keys(h.ctx.alarms).filter((id) => id.startsWith('channel:'))).toEqual(['channel:3/probeB']);
    expect(annunciated(h)).toEqual(['io:fireIo']);
    h.advance(IO_GRACE_MS + 1000);
    expect(annunciated(h)).toEqual(['io:fireIo', 'channel:3/probeB']);
    expect(h.ctx.alarms['channel:3/probeB']).toMatchObject({ active: true, acked: false });
    expect(h.ctx.alarms['channel:3/probeB']!.suppressedBy).toBeUndefined();
  });

  it('FS-26 a fire alarm is never suppressed: stage 1 voted on the BMS and camera while the fire I/O is down is annunciated as a P1', () => {
    const h = new ZoneHarness({ racks: RACKS });
    fireIoStall(h);
    h.vote('S1', [1]);
    expect(h.ctx.stage).toBe(1);
    expect(h.of('annunciate').some((a) => a.active && a.priority === 1 && a.class === 'alarm')).toBe(true);
  });
});
