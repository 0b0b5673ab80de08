/**
 * The pure core end to end: channel readings → voter → zone machine → effects, with the camera
 * occlusion and bypasses fed back from the zone (voterEnvFor), as the runtime wires it.
 */
import { describe, expect, it } from 'vitest';
import { createVoter, voterStep, type ChannelId, type VoterState } from './voter/index.js';
import { voterEnvFor } from './outputs.js';
import { ZoneHarness } from './zone/harness.js';
import type { ZoneEvent } from './zone/types.js';

class Pipeline {
  voter: VoterState;
  zone: ZoneHarness;
  seq = 0;
  constructor(channels: ChannelId[]) {
    this.zone = new ZoneHarness({ racks: [1, 2] });
    this.voter = createVoter({ racks: [1, 2], channels });
  }
  /** hold per-channel values on rack 1 (rack 2 stays at 30 °C) for `ms`, 2 Hz, then a TICK */
  hold(values: Partial<Record<ChannelId, number>>, ms: number): this {
    const end = this.zone.now + ms;
    while (this.zone.now < end) {
      const now = this.zone.now + 500;
      this.seq++;
      const readings = [1, 2].flatMap((rack) => Object.entries(values).map(([channel, v]) => ({
        rack, channel: channel as ChannelId, value: rack === 1 ? v! : 30, ts: now, quality: 'good' as const, seq: this.seq,
      })));
      const r = voterStep(this.voter, { readings }, now, voterEnvFor(this.zone.ctx));
      this.voter = r.state;
      for (const e of r.events) this.zone.send(e as ZoneEvent);
      this.zone.send({ type: 'TICK', ts: now });
    }
    return this;
  }
}

describe('pure pipeline: voter → zone machine', () => {
  it('FS-09/FS-35 an 85 °C step on two channels → stage 3; the stage record carries the channel values, quality and age', () => {
    const p = new Pipeline(['probeA', 'probeB', 'camera']).hold({ probeA: 40, probeB: 40, camera: 40 }, 3000);
    p.hold({ probeA: 85, probeB: 85, camera: 40 }, 2500);
    expect(p.zone.incident()).toBe('s3.preDischarge');
    // the watch (first sample ≥ 50 °C) stopped charging; then the burning rack first, then the zone
    expect(p.zone.cmds().slice(0, 4)).toEqual(['room.charge.inhibit:on', 'rack.1.breaker:open', 'rack.1.curtain:down', 'rack.2.breaker:open']);
    const rec = p.zone.of('journalNote').find((n) => n.kind === 'stage' && n.data.to === 3)!;
    const d = (rec.data.decisions as { channels: { channel: string; value: number; quality: string; ageMs: number }[] }[])[0]!;
    expect(d.channels.map((c) => [c.channel, c.value, c.quality, c.ageMs])).toEqual([['probeA', 85, 'good', 0], ['probeB', 85, 'good', 0], ['camera', 40, 'good', 0]]);
  });

  it('FS-07 BMS lost during stage 1 → trouble, stage 1 kept, stage 3 still reached on the probes; FS-26 the camera is then occluded by design', () => {
    const p = new Pipeline(['probeA', 'probeB', 'bms', 'camera']).hold({ probeA: 30, probeB: 30, bms: 30, camera: 30 }, 3000);
    p.hold({ probeA: 62, probeB: 55, bms: 30, camera: 30 }, 3000);
    expect(p.zone.incident()).toBe('s1');
    p.hold({ probeA: 62, probeB: 55, camera: 30 }, 6000);
    expect(p.zone.ctx.alarms['channel:1/bms']).toMatchObject({ class: 'trouble', active: true });
    expect(p.zone.incident()).toBe('s1');
    expect(voterEnvFor(p.zone.ctx).cameraOccluded).toBe(true);
    p.hold({ probeA: 84, probeB: 83, camera: 30 }, 3000);
    expect(p.zone.incident()).toBe('s3.preDischarge');
    expect(p.zone.ctx.alarms['channel:1/camera']).toBeUndefined();
  });
});
