import { describe, expect, it } from 'vitest';
import type { Point } from '../../lib/points.js';
import { ReportByException } from './rbe.js';

const p = (name: string, value: Point['value'], quality: Point['quality'] = 'good', reason?: string): Point =>
  ({ site: 's', device: 'd', name, value, ts: 0, quality, ...(reason ? { reason } : {}) });

describe('report-by-exception', () => {
  it.each([
    // [deadband, sequence of values, which are sent]
    [0, [20, 20, 20.01, 20.01, 21], [20, 20.01, 21]],
    [0.5, [20, 20.3, 20.4, 20.6, 20.2], [20, 20.6]],
    [0.5, [20, 20.4, 20.8, 21.2], [20, 20.8]], // drift is measured from the last SENT value
    [1, [true, true, false, false], [true, false]],
    [1, ['auto', 'auto', 'manual'], ['auto', 'manual']],
  ] as const)('deadband %s: %j → %j', (deadband, values, sent) => {
    const rbe = new ReportByException({ deadband, heartbeatMs: 60_000 });
    const out = values.flatMap((v, i) => rbe.filter([p('x', v)], i * 10));
    expect(out.map((x) => x.value)).toEqual(sent);
    expect(rbe.heldBack).toBe(values.length - sent.length);
  });

  it('sends quality and reason changes, the heartbeat, and every fire-relevant point', () => {
    const rbe = new ReportByException({ deadband: 5, heartbeatMs: 1000, policyOf: (_d, n) => (n === 'fire' ? { fire: true } : n === 'fine' ? { deadband: 0 } : undefined) });
    const sent = (pts: Point[], at: number) => rbe.filter(pts, at).map((x) => `${x.name}=${String(x.value)}/${x.quality}${x.reason ? `:${x.reason}` : ''}`);
    expect(sent([p('a', 1), p('fire', 30), p('fine', 1)], 0)).toEqual(['a=1/good', 'fire=30/good', 'fine=1/good']);
    expect(sent([p('a', 1), p('fire', 30), p('fine', 1.1)], 100)).toEqual(['fire=30/good', 'fine=1.1/good']);
    expect(sent([p('a', null, 'bad', 'timeout')], 200)).toEqual(['a=null/bad:timeout']);
    expect(sent([p('a', null, 'bad', 'timeout')], 300)).toEqual([]);
    expect(sent([p('a', null, 'bad', 'comm_failure')], 400)).toEqual(['a=null/bad:comm_failure']);
    expect(sent([p('a', 1, 'uncertain', 'stale')], 500)).toEqual(['a=1/uncertain:stale']);
    expect(sent([p('a', 1, 'uncertain', 'stale')], 1499)).toEqual([]);
    expect(sent([p('a', 1, 'uncertain', 'stale')], 1500)).toEqual(['a=1/uncertain:stale']);
  });
});
