import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('metrics registry', () => {
  it('renders counters, gauges and summaries in the Prometheus text format', () => {
    const m = new Metrics();
    m.inc('dcim_points_bad_total', { device: 'ups-z1', reason: 'timeout' }, 2, 'bad points by device and reason');
    m.inc('dcim_points_bad_total', { device: 'ups-z1', reason: 'timeout' });
    m.inc('dcim_points_bad_total', { reason: 'say "hi"\n', device: 'b\\s' });
    m.observe('dcim_poll_duration_ms', 12, { device: 'ups-z1' }, 'poll cycle duration');
    m.observe('dcim_poll_duration_ms', 30, { device: 'ups-z1' });
    m.gauge('dcim_link_up', 'link', () => [{ value: 1 }]);
    expect(m.render()).toBe([
      '# HELP dcim_link_up link',
      '# TYPE dcim_link_up gauge',
      'dcim_link_up 1',
      '# HELP dcim_points_bad_total bad points by device and reason',
      '# TYPE dcim_points_bad_total counter',
      'dcim_points_bad_total{device="ups-z1",reason="timeout"} 3',
      'dcim_points_bad_total{device="b\\\\s",reason="say \\"hi\\"\\n"} 1',
      '# HELP dcim_poll_duration_ms poll cycle duration',
      '# TYPE dcim_poll_duration_ms summary',
      'dcim_poll_duration_ms_sum{device="ups-z1"} 42',
      'dcim_poll_duration_ms_count{device="ups-z1"} 2',
      '# HELP dcim_poll_duration_ms_max largest poll cycle duration',
      '# TYPE dcim_poll_duration_ms_max gauge',
      'dcim_poll_duration_ms_max{device="ups-z1"} 30',
      '',
    ].join('\n'));
    expect(m.get('dcim_points_bad_total', { reason: 'timeout', device: 'ups-z1' })).toBe(3);
    expect(m.total('dcim_points_bad_total')).toBe(4);
    expect(m.total('dcim_poll_duration_ms', { device: 'ups-z1' })).toBe(2);
  });
});
