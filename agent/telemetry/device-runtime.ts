/**
 * Per-device glue between a driver and the agent: the DriverContext it gets (normalise → staleness
 * observe → deliver), its point definitions, staleness limits and link-state transitions.
 */
import type { Logger } from '../../lib/log.js';
import type { Point } from '../../lib/points.js';
import type { ResolvedDevice } from '../config/load.js';
import type { MqttProfileSection } from '../drivers/mqtt/config.js';
import { expandMqttProfile } from '../drivers/mqtt/expand.js';
import type { Clock, DeviceLinkState, Driver, DriverContext } from '../drivers/types.js';
import type { Metrics } from '../health/metrics.js';
import { normaliseAll, type PointDef } from '../points/normalise.js';
import { stalenessLimitMs, type StalenessTracker } from '../points/staleness.js';

/** ms between two samples a device's point is expected to get, for its staleness limit; null = not tracked. */
export function samplePeriods(dev: ResolvedDevice, pollGroups: Record<string, number>, site: string): Map<string, number | null> {
  const out = new Map<string, number | null>();
  if (dev.modbusPoints) {
    for (const p of dev.modbusPoints) {
      const ms = pollGroups[p.pollGroup] ?? 1000;
      out.set(p.name, ms);
      for (const b of p.bits ?? []) out.set(b.name, ms);
    }
  } else if (dev.profile.opcua) {
    const readMs = dev.config.opcua?.readIntervalMs ?? 1000;
    const byName = new Map((dev.profile.opcua.points).map((p) => [p.name, p.mode]));
    for (const d of dev.points) out.set(d.name, byName.get(d.name) === 'read' ? readMs : null);
    // Array points (names with placeholders) are subscriptions unless marked read: resolve per expanded name.
    for (const a of dev.profile.opcua.arrays ?? []) for (const p of a.points) if (p.mode === 'read') for (const d of dev.points) if (matches(p.name, d.name)) out.set(d.name, readMs);
  } else if (dev.profile.mqtt) {
    try {
      for (const s of expandMqttProfile(dev.profile.mqtt as MqttProfileSection, { site, device: dev.id, params: dev.params, ...(dev.config.room !== undefined ? { room: dev.config.room } : {}) })) {
        // staleAfterMs is the limit itself; stalenessLimitMs(period) = 3 × period.
        const period = s.spec.staleAfterMs !== undefined ? s.spec.staleAfterMs / 3 : 5000;
        for (const p of s.points) out.set(p.name, period);
      }
    } catch { /* the driver reports the profile error */ }
  }
  return out;
}

function matches(template: string, name: string): boolean {
  const parts = template.split(/\{[^}]+\}/).map((x) => x.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^.]+')}$`).test(name);
}

export interface DeviceRuntimeDeps {
  site: string;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  staleness: StalenessTracker;
  pollGroups: Record<string, number>;
  deliver(points: Point[]): void;
}

export class DeviceRuntime {
  readonly defs: Map<string, PointDef>;
  private readonly limits = new Map<string, number>();
  private lastState: DeviceLinkState | null = null;

  constructor(readonly dev: ResolvedDevice, readonly driver: Driver, private readonly deps: DeviceRuntimeDeps) {
    this.defs = new Map(dev.points.map((d) => [d.name, d]));
    const periods = samplePeriods(dev, deps.pollGroups, deps.site);
    for (const d of dev.points) {
      const period = periods.get(d.name);
      if (period) this.limits.set(d.name, stalenessLimitMs(period, { fire: d.fire === true }));
    }
  }

  context(): DriverContext {
    const { metrics, site, staleness, clock } = this.deps;
    const count = (metric: string, labels?: Record<string, string>) => metrics.inc(`dcim_${metric}`, labels ?? {});
    return {
      log: this.deps.log.child({ device: this.dev.id }),
      clock,
      count,
      observe: (metric, value, labels) => metrics.observe(`dcim_${metric}`, value, labels ?? {}),
      sink: (readings) => {
        const points = normaliseAll(readings, this.defs, site, count);
        for (const p of points) {
          const limit = this.limits.get(p.name);
          if (limit !== undefined) staleness.observe(p, limit);
        }
        metrics.inc('dcim_points_total', { device: this.dev.id }, points.length, 'normalised points received from drivers');
        this.deps.deliver(points);
      },
    };
  }

  /** The link state if it changed since the last call (for device.status events), else null. */
  transition(): DeviceLinkState | null {
    const s = this.driver.linkState();
    if (s === this.lastState) return null;
    const first = this.lastState === null;
    this.lastState = s;
    return first && s === 'connecting' ? null : s;
  }
}
