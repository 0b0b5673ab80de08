import { describe, expect, it } from 'vitest';
import { createVoter, voterStep, type VoterState } from './voter.js';
import type { ChannelId, DetectorReading, VoterEnv, VoterEvent } from './types.js';

type Ch = Partial<Record<ChannelId, number | 'bad' | null>>;
const T0 = 1_700_000_000_000;

/** Drives one rack's channels at a fixed period; returns every event with its time. */
class Rig {
  state: VoterState;
  now = T0;
  seq = 0;
  events: VoterEvent[] = [];
  constructor(channels: ChannelId[] = ['probeA', 'probeB', 'bms', 'camera'], racks = [1], public env: VoterEnv = {}) {
    this.state = createVoter({ racks, channels });
  }
  /** hold `values` for `ms`, sampling every `period` ms (first sample at the current time) */
  hold(values: Ch, ms: number, period = 500, rack = 1, detectors: DetectorReading[] = []): this {
    const end = this.now + ms;
    let first = true;
    while (this.now < end) {
      this.seq++;
      const readings = Object.entries(values).map(([ch, v]) => ({
        rack, channel: ch as ChannelId, value: v === 'bad' ? null : v ?? null,
        quality: v === 'bad' || v === null ? ('bad' as const) : ('good' as const), ts: this.now, seq: this.seq,
      }));
      this.step({ readings, detectors: first ? detectors : [] });
      first = false;
      this.now += period;
    }
    return this;
  }
  step(input: Parameters<typeof voterStep>[1]): void {
    const r = voterStep(this.state, input, this.now, this.env);
    this.state = r.state;
    this.events.push(...r.events);
  }
  types(): string[] { return this.events.filter((e) => e.type !== 'VOTE.STATUS').map((e) => e.type); }
  of<T extends VoterEvent['type']>(t: T): Extract<VoterEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<VoterEvent, { type: T }> => e.type === t);
  }
  stages(): string[] { return this.types().filter((t) => /^VOTE\.S\d$/.test(t)); }
}

const three: ChannelId[] = ['probeA', 'probeB', 'camera'];
const cool = { probeA: 30, probeB: 30, camera: 30 };

describe('voter (FS-01..07)', () => {
  it('FS-04 (82, 50, camera 83) → stage 3', () => {
    const r = new Rig(three).hold(cool, 3000).hold({ probeA: 82, probeB: 50, camera: 83 }, 3000);
    expect(r.stages()).toEqual(['VOTE.S3']);
    const d = r.of('VOTE.S3')[0]!.decisions[0]!;
    expect(d.rule).toBe('2ooN');
    expect(d.channels.map((c) => [c.channel, c.value, c.quality])).toEqual([['probeA', 82, 'good'], ['probeB', 50, 'good'], ['camera', 83, 'good']]);
    expect(d.channels.every((c) => c.ageMs === 0)).toBe(true);
  });

  it('FS-04 (82, 45, 45) without corroboration → watch plus a discrepancy after 60 s, no stage', () => {
    const r = new Rig(three).hold(cool, 3000).hold({ probeA: 82, probeB: 45, camera: 45 }, 59_000);
    expect(r.stages()).toEqual([]);
    expect(r.types()).toContain('VOTE.WATCH');
    expect(r.of('CHANNEL.FAULT')).toEqual([]);
    r.hold({ probeA: 82, probeB: 45, camera: 45 }, 2000);
    expect(r.of('CHANNEL.FAULT').map((e) => [e.channel, e.reason])).toEqual([['probeA', 'discrepant']]);
    expect(r.stages()).toEqual([]);
  });

  it('FS-04 (bad, 82, 83) → stage 3; (bad, bad, 83) → stage 3 plus degraded voting', () => {
    const a = new Rig(three).hold(cool, 3000).hold({ probeA: 'bad', probeB: 82, camera: 83 }, 3000);
    expect(a.stages()).toEqual(['VOTE.S3']);
    const b = new Rig(three).hold(cool, 3000).hold({ probeA: 'bad', probeB: 'bad', camera: 83 }, 3000);
    expect(b.stages()).toEqual(['VOTE.S3']);
    expect(b.of('CHANNEL.DEGRADED').map((e) => e.validCount)).toEqual([1]);
    expect(b.of('VOTE.S3')[0]!.decisions[0]!.rule).toBe('1oo1');
  });

  it('FS-01 85 °C with quality bad on 2 of 3 channels and the third cool → no stage 3', () => {
    const r = new Rig(three).hold(cool, 3000).hold({ probeA: 'bad', probeB: 'bad', camera: 30 }, 5000);
    expect(r.stages()).toEqual([]);
    expect(r.of('CHANNEL.FAULT').map((e) => e.reason)).toEqual(['bad', 'bad']);
  });

  it('FS-04/06/07 BMS 90 °C alone → watch and a BMS discrepancy trouble, no stage', () => {
    const r = new Rig().hold({ probeA: 30, probeB: 30, bms: 30, camera: 30 }, 3000).hold({ probeA: 30, probeB: 30, bms: 90, camera: 30 }, 62_000);
    expect(r.stages()).toEqual([]);
    expect(r.of('VOTE.WATCH')).toHaveLength(1);
    expect(r.of('CHANNEL.FAULT').map((e) => [e.channel, e.reason])).toEqual([['bms', 'discrepant']]);
  });

  it('FS-04/05 BMS 62 °C plus rack smoke → stage 1', () => {
    const r = new Rig().hold({ probeA: 30, probeB: 30, bms: 30, camera: 30 }, 3000)
      .hold({ probeA: 30, probeB: 30, bms: 62, camera: 30 }, 3000, 500, 1, [{ rack: 1, kind: 'smoke', state: true, ts: T0 + 3000 }]);
    expect(r.stages()).toEqual(['VOTE.S1']);
  });

  it('FS-07 BMS reporting 30 °C never vetoes: two probes at 70 °C → stage 2', () => {
    const r = new Rig().hold({ probeA: 30, probeB: 30, bms: 30, camera: 30 }, 3000).hold({ probeA: 70, probeB: 70, bms: 30, camera: 30 }, 3000);
    expect(r.stages()).toEqual(['VOTE.S2']);
  });

  it('FS-07 losing the BMS → trouble; probes still reach stage 3', () => {
    const r = new Rig().hold({ probeA: 30, probeB: 30, bms: 30, camera: 30 }, 3000).hold({ probeA: 30, probeB: 30, camera: 30 }, 6000);
    expect(r.of('CHANNEL.FAULT').map((e) => [e.channel, e.reason])).toEqual([['bms', 'stale']]);
    r.hold({ probeA: 85, probeB: 85, camera: 30 }, 3000);
    expect(r.stages()).toEqual(['VOTE.S3']);
  });

  it('FS-03 60.0 °C for 1.9 s then 59 °C → no stage, one pre-alarm', () => {
    const r = new Rig(three).hold({ probeA: 40, probeB: 40, camera: 40 }, 3000)
      .hold({ probeA: 60, probeB: 60, camera: 40 }, 1900, 500).hold({ probeA: 59, probeB: 59, camera: 40 }, 5000);
    expect(r.stages()).toEqual([]);
    expect(r.of('VOTE.WATCH')).toHaveLength(1);
  });

  it('FS-03 60.0 °C for 2.1 s on two channels → stage 1', () => {
    const r = new Rig(three).hold({ probeA: 40, probeB: 40, camera: 40 }, 3000).hold({ probeA: 60, probeB: 60, camera: 40 }, 2100, 500);
    expect(r.stages()).toEqual(['VOTE.S1']);
  });

  it('FS-03 dither 59.5↔60.5 °C every 0.5 s for 5 min → one pre-alarm, no chatter; stage 1 once sustained', () => {
    const r = new Rig(three).hold({ probeA: 40, probeB: 40, camera: 40 }, 3000);
    for (let i = 0; i < 600; i++) r.hold(i % 2 ? { probeA: 59.5, probeB: 59.5, camera: 40 } : { probeA: 60.5, probeB: 60.5, camera: 40 }, 500, 500);
    expect(r.of('VOTE.WATCH')).toHaveLength(1);
    expect(r.of('VOTE.CLEAR')).toHaveLength(0);
    expect(r.stages()).toEqual([]);
    r.hold({ probeA: 60.5, probeB: 60.5, camera: 40 }, 1500);
    expect(r.stages()).toEqual([]);
    r.hold({ probeA: 60.5, probeB: 60.5, camera: 40 }, 1000);
    expect(r.stages()).toEqual(['VOTE.S1']);
  });

  it('FS-03 a single 75 °C sample between 40 °C samples → nothing', () => {
    const r = new Rig(three).hold({ probeA: 40, probeB: 40, camera: 40 }, 3000).hold({ probeA: 75, probeB: 75, camera: 75 }, 500)
      .hold({ probeA: 40, probeB: 40, camera: 40 }, 3000);
    expect(r.types()).toEqual([]);
  });

  it('FS-01 25 °C stamped 6 s old → stale trouble within 1 s, excluded from voting', () => {
    const r = new Rig(three).hold({ probeB: 30, camera: 30 }, 3000);
    r.step({ readings: [{ rack: 1, channel: 'probeA', value: 25, ts: r.now - 6000, quality: 'good', seq: ++r.seq }] });
    expect(voterStep(r.state, {}, r.now).evals['1']!.valid).toEqual(['probeB', 'camera']);
    expect(r.of('CHANNEL.FAULT').map((e) => [e.channel, e.reason])).toEqual([['probeA', 'stale']]);
  });

  it('FS-01 900 °C → out-of-range trouble, not a stage; repeated sequence → stale (repeated_seq)', () => {
    const r = new Rig(three).hold(cool, 3000).hold({ probeA: 900, probeB: 30, camera: 30 }, 3000);
    expect(r.stages()).toEqual([]);
    expect(r.of('CHANNEL.FAULT').map((e) => e.reason)).toEqual(['out_of_range']);
    const q = new Rig(three).hold(cool, 3000);
    q.now += 500;
    q.step({ readings: [{ rack: 1, channel: 'probeB', value: 30, ts: q.now, quality: 'good', seq: q.seq }] });
    expect(q.of('CHANNEL.FAULT').map((e) => [e.channel, e.reason])).toEqual([['probeB', 'repeated_seq']]);
  });

  it('FS-02 probe A held at 31.40 °C for 15 min while peers vary ±1.5 °C → suspect-stuck, rack votes on 2', () => {
    const r = new Rig(three).hold({ probeA: 31.4, probeB: 31, camera: 31 }, 3000);
    for (let i = 0; i < 900; i++) {
      const wobble = 31 + 1.5 * Math.sin(i / 20);
      r.hold({ probeA: 31.4, probeB: wobble, camera: wobble + 0.2 }, 1000, 1000);
    }
    expect(r.of('CHANNEL.FAULT').map((e) => [e.channel, e.reason])).toEqual([['probeA', 'suspect_stuck']]);
    const last = voterStep(r.state, {}, r.now, {});
    expect(last.evals['1']!.validCount).toBe(2);
  });

  it('FS-02 probe A offset +15 °C → discrepancy after 60 s ±1 s, no stage on A alone', () => {
    const r = new Rig(three).hold({ probeA: 45, probeB: 30, camera: 30 }, 59_000, 1000);
    expect(r.of('CHANNEL.FAULT')).toEqual([]);
    r.hold({ probeA: 45, probeB: 30, camera: 30 }, 2000, 1000);
    expect(r.of('CHANNEL.FAULT').map((e) => e.reason)).toEqual(['discrepant']);
    expect(r.stages()).toEqual([]);
  });

  it('FS-05 off-gas with every temperature at 35 °C → stage 0 after the 2 s on-delay', () => {
    const r = new Rig(three).hold({ probeA: 35, probeB: 35, camera: 35 }, 3000)
      .hold({ probeA: 35, probeB: 35, camera: 35 }, 1500, 500, 1, [{ rack: 1, kind: 'offgas', state: true, ts: T0 + 3000 }]);
    expect(r.stages()).toEqual([]);
    r.hold({ probeA: 35, probeB: 35, camera: 35 }, 1000);
    expect(r.stages()).toEqual(['VOTE.S0']);
  });

  it('FS-05 smoke and a 2 °C/min rise sustained for 60 s → stage 1', () => {
    const r = new Rig(three).hold({ probeA: 35, probeB: 35, camera: 35 }, 3000);
    r.step({ detectors: [{ rack: 1, kind: 'smoke', state: true, ts: r.now }] });
    for (let i = 0; i < 70; i++) r.hold({ probeA: 35 + (i * 2.5) / 60, probeB: 35, camera: 35 }, 1000, 1000);
    expect(r.stages()).toEqual(['VOTE.S1']);
    expect(r.of('VOTE.S1')[0]!.decisions[0]!.rule).toBe('smoke+rate-of-rise');
  });

  it('FS-06 52 °C on one probe → watch; back to 45 °C for 10 s → clear', () => {
    const r = new Rig(three).hold({ probeA: 40, probeB: 40, camera: 40 }, 3000).hold({ probeA: 52, probeB: 40, camera: 40 }, 3000);
    expect(r.types()).toEqual(['VOTE.WATCH']);
    r.hold({ probeA: 45, probeB: 40, camera: 40 }, 9000);
    expect(r.of('VOTE.CLEAR')).toHaveLength(0);
    r.hold({ probeA: 45, probeB: 40, camera: 40 }, 2000);
    expect(r.of('VOTE.CLEAR')).toHaveLength(1);
  });

  it('FS-11 patch fired at 45 °C → stage 2 evidence for that rack', () => {
    const r = new Rig(three).hold({ probeA: 45, probeB: 45, camera: 45 }, 3000);
    r.step({ detectors: [{ rack: 1, kind: 'patch', state: true, ts: r.now }] });
    expect(r.stages()).toEqual(['VOTE.S2']);
    expect(r.of('VOTE.S2')[0]!.decisions[0]!.rule).toBe('patch');
  });

  it('FS-26 camera occluded by design is excluded without a trouble; FS-27 bypassed channel too', () => {
    const r = new Rig(three, [1], { cameraOccluded: true, bypassed: ['1/probeA'] }).hold({ probeA: 90, probeB: 85, camera: 90 }, 3000);
    expect(r.of('CHANNEL.FAULT')).toEqual([]);
    expect(r.of('CHANNEL.DEGRADED').map((e) => e.validCount)).toEqual([1]);
    expect(r.stages()).toEqual(['VOTE.S3']);
  });

  it('FS-27 zero valid channels → degraded with validCount 0 (impairment), never a stage', () => {
    const r = new Rig(three).hold(cool, 3000).hold({ probeA: 'bad', probeB: 'bad', camera: 'bad' }, 3000);
    expect(r.of('CHANNEL.DEGRADED').map((e) => e.validCount)).toEqual([0]);
    expect(r.stages()).toEqual([]);
  });

  it('FS-20 coolSince is set only with ≥ 2 valid channels below 50 °C, not rising, no smoke or off-gas', () => {
    const r = new Rig(three).hold({ probeA: 40, probeB: 40, camera: 40 }, 70_000, 1000);
    const st = r.of('VOTE.STATUS').at(-1)!.status;
    expect(st.coolSince).not.toBeNull();
    r.hold({ probeA: 'bad', probeB: 'bad', camera: 40 }, 2000, 1000);
    expect(r.of('VOTE.STATUS').at(-1)!.status.coolSince).toBeNull();
  });

  it('unknown rack → CHANNEL.FAULT, not a crash', () => {
    const r = new Rig(three);
    r.step({ readings: [{ rack: 9, channel: 'probeA', value: 30, ts: r.now, quality: 'good', seq: 1 }] });
    expect(r.of('CHANNEL.FAULT').map((e) => e.reason)).toEqual(['unknown rack or channel']);
  });
});
