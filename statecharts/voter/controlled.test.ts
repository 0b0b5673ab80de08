/**
 * FS-10 "controlled" in a room of several racks: the racks that matter must be falling; a quiet rack
 * (below the watch threshold, not rising) must not hold the room "not controlled" for ever.
 */
import { describe, expect, it } from 'vitest';
import { createVoter, voterStep } from './voter.js';
import type { ChannelId, ThermalStatus, VoterEvent } from './types.js';

const T0 = 1_700_000_000_000;
const CH: ChannelId[] = ['probeA', 'probeB', 'bms'];

/** Two racks sampled every 500 ms for `seconds`; rack temperatures from `temp(rack, t)`. */
function run(seconds: number, temp: (rack: number, tS: number) => number): ThermalStatus {
  let state = createVoter({ racks: [1, 2], channels: CH });
  let last: ThermalStatus | null = null;
  let seq = 0;
  for (let ms = 0; ms <= seconds * 1000; ms += 500) {
    seq++;
    const readings = [1, 2].flatMap((rack) => CH.map((channel) => ({ rack, channel, value: temp(rack, ms / 1000), quality: 'good' as const, ts: T0 + ms, seq })));
    const r = voterStep(state, { readings, detectors: [] }, T0 + ms);
    state = r.state;
    for (const e of r.events as VoterEvent[]) if (e.type === 'VOTE.STATUS') last = e.status;
  }
  return last!;
}

describe('FS-10 controlled with several racks', () => {
  it('FS-10 the burning rack cooling below 60 °C with a quiet neighbour at room temperature → falling (controlled)', () => {
    const s = run(120, (rack, t) => (rack === 1 ? 58 - 0.1 * t : 25));
    expect(s.maxC).toBeLessThan(60);
    expect(s.falling).toBe(true);
  });

  it('FS-10 a neighbour warming (rising, even below the watch threshold) → not controlled', () => {
    const s = run(120, (rack, t) => (rack === 1 ? 58 - 0.1 * t : 30 + 0.1 * t));
    expect(s.falling).toBe(false);
  });

  it('FS-10 the burning rack steady at 55 °C → not falling, whatever its quiet neighbour does', () => {
    const s = run(120, (rack) => (rack === 1 ? 55 : 25));
    expect(s.falling).toBe(false);
  });
});
