/**
 * Server-side alarm rules on points (config `alarms.rules`): a comparison with a limit, a
 * deadband (hysteresis: a '>' alarm clears only below limit − deadband), an on-delay (the
 * condition must hold that long before the alarm is raised) and an off-delay (it must stay
 * clear that long before the alarm returns to normal). Pending delays are kept as absolute
 * deadlines and persisted, so a "for 10 min" condition survives a restart (R32).
 * Points of bad quality do not change a rule's condition (status handles missing data).
 */
import type { AlarmRuleConfig } from '../config.js';
import type { Point } from '../../lib/points.js';
import type { Repos } from '../records/repos.js';
import type { AlarmService, RaiseSpec } from './service.js';
import type { AlarmClass, Priority } from './isa.js';

interface RuleState { raw: boolean; onSince?: number; offSince?: number; raised: boolean; value?: unknown }

export function compare(rule: AlarmRuleConfig, v: unknown, raised: boolean): boolean | null {
  if (rule.op === '==' || rule.op === '!=') {
    if (typeof v !== 'number' && typeof v !== 'boolean') return null;
    const eq = v === rule.limit || (typeof v === 'number' && typeof rule.limit === 'boolean' && (v !== 0) === rule.limit);
    return rule.op === '==' ? eq : !eq;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || typeof rule.limit !== 'number') return null;
  const db = rule.deadband ?? 0;
  if (rule.op === '>') return raised ? v > rule.limit - db : v > rule.limit;
  return raised ? v < rule.limit + db : v < rule.limit;
}

export class RuleEngine {
  private readonly states = new Map<string, RuleState>();
  private readonly byPoint = new Map<string, AlarmRuleConfig[]>();

  constructor(private readonly rules: AlarmRuleConfig[], private readonly site: string, private readonly alarms: AlarmService,
    private readonly repos: Repos, private readonly now: () => number) {
    for (const r of rules) {
      const k = `${r.device}|${r.point}`;
      this.byPoint.set(k, [...(this.byPoint.get(k) ?? []), r]);
    }
  }

  async load(): Promise<void> {
    for (const s of await this.repos.getDocs<RuleState & { id: string }>('rulestate')) {
      const { id, ...rest } = s;
      this.states.set(id, rest);
    }
  }

  private persist(id: string, s: RuleState) {
    this.repos.putDoc('rulestate', id, { id, ...s }, this.now()).catch(() => undefined);
  }

  onPoint(p: Point): void {
    const rules = this.byPoint.get(`${p.device}|${p.name}`);
    if (!rules) return;
    for (const r of rules) {
      if (p.quality === 'bad') continue;
      const s = this.states.get(r.id) ?? { raw: false, raised: false };
      const c = compare(r, p.value, s.raised);
      if (c === null) continue;
      const ns: RuleState = { ...s, raw: c, value: p.value };
      const t = this.now(); // delays run on the server clock (device clocks may be skewed)
      if (c && !s.raw) { ns.onSince = t; delete ns.offSince; }
      if (!c && s.raw) { ns.offSince = t; delete ns.onSince; }
      this.states.set(r.id, ns);
      if (c !== s.raw) this.persist(r.id, ns);
      this.evaluate(r, ns);
    }
  }

  private evaluate(r: AlarmRuleConfig, s: RuleState): void {
    const now = this.now();
    if (s.raw && !s.raised && (s.onSince ?? now) + (r.onDelayS ?? 0) * 1000 <= now) {
      s.raised = true; this.persist(r.id, s);
      this.alarms.setCondition(this.spec(r, s), true);
    } else if (!s.raw && s.raised && (s.offSince ?? now) + (r.offDelayS ?? 0) * 1000 <= now) {
      s.raised = false; this.persist(r.id, s);
      this.alarms.setCondition(this.spec(r, s), false);
    }
  }

  private spec(r: AlarmRuleConfig, s: RuleState): RaiseSpec {
    return {
      key: `rule:${this.site}:${r.id}`, site: this.site, type: r.id, class: (r.class ?? 'alarm') as AlarmClass, priority: r.priority as Priority, latched: r.latched ?? false,
      message: r.message ?? `${r.device} ${r.point} ${r.op} ${String(r.limit)} (value ${String(s.value)})`, device: r.device, zone: r.zone,
      owners: r.owners ?? [],
    };
  }

  /** Apply pending on/off delays. Call every second. */
  tick(): void {
    for (const r of this.rules) { const s = this.states.get(r.id); if (s) this.evaluate(r, s); }
  }
}
