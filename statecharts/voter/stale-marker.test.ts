/**
 * FS-01/FS-03: the agent's staleness marker (the last sample re-sent as uncertain `stale`, same
 * source time) makes the channel invalid, but is no new sample: it does not break the debounce.
 */
import { describe, expect, it } from 'vitest';
import { createVoter, voterStep } from './index.js';
import type { ChannelId, ChannelReading } from './types.js';

const reading = (channel: ChannelId, ts: number, seq: number, stale = false): ChannelReading =>
  stale ? { rack: 1, channel, value: 85, ts, quality: 'uncertain', seq, reason: 'stale' } : { rack: 1, channel, value: 85, ts, quality: 'good', seq };

describe('voter: stale markers between polls', () => {
  it('FS-03 85 °C on both probes, each poll followed by a stale marker → still stage 3 after the on-delay; the markers make the channels invalid meanwhile', () => {
    let s = createVoter({ racks: [1], channels: ['probeA', 'probeB'], params: { detection: { pollPeriodMs: 100 } } });
    let t = 1_000_000;
    const levels: string[] = [];
    const statuses: string[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      t += 150;
      let r = voterStep(s, { readings: [reading('probeA', t, seq), reading('probeB', t, seq)] }, t);
      s = r.state;
      levels.push(r.state.racks['1']!.level);
      r = voterStep(s, { readings: [reading('probeA', t, seq, true), reading('probeB', t, seq, true)] }, t + 100);
      s = r.state;
      statuses.push(r.evals['1']!.channels[0]!.status);
    }
    expect(statuses.every((x) => x === 'stale')).toBe(true);
    // 2 s on-delay at 150 ms per poll: asserted from the 15th poll on
    expect(levels.slice(0, 13)).not.toContain('s3');
    expect(levels.at(-1)).toBe('s3');
  });

  it('FS-03 an invalid new sample (bad quality, new time) still breaks the debounce', () => {
    let s = createVoter({ racks: [1], channels: ['probeA', 'probeB'], params: { detection: { pollPeriodMs: 100 } } });
    let t = 1_000_000;
    const levels: string[] = [];
    for (let seq = 1; seq <= 40; seq++) {
      t += 150;
      const bad = seq % 2 === 0;
      const rs = (['probeA', 'probeB'] as const).map((c) => (bad ? { rack: 1, channel: c, value: null, ts: t, quality: 'bad' as const, seq, reason: 'timeout' } : reading(c, t, seq)));
      const r = voterStep(s, { readings: rs }, t);
      s = r.state;
      levels.push(r.state.racks['1']!.level);
    }
    expect(levels).not.toContain('s3');
  });
});
