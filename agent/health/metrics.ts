/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and summaries
 * (count/sum/max) with labels. No dependency; the agent's metrics are few and named here.
 */
type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  series: Map<string, { labels: Labels; value: number; sum: number; count: number; max: number }>;
  /** Gauges computed at scrape time. */
  collect?: () => { labels?: Labels; value: number }[];
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const keyOf = (l: Labels) => Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(',');
const fmtLabels = (l: Labels, extra?: Labels) => {
  const all = { ...l, ...extra };
  const ks = Object.keys(all).sort();
  return ks.length ? `{${ks.map((k) => `${k}="${esc(all[k]!)}"`).join(',')}}` : '';
};
const fmt = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

export class Metrics {
  private readonly families = new Map<string, Family>();

  private family(name: string, type: Family['type'], help: string): Family {
    let f = this.families.get(name);
    if (!f) { f = { name, help, type, series: new Map() }; this.families.set(name, f); }
    return f;
  }

  private series(f: Family, labels: Labels) {
    const k = keyOf(labels);
    let s = f.series.get(k);
    if (!s) { s = { labels: { ...labels }, value: 0, sum: 0, count: 0, max: 0 }; f.series.set(k, s); }
    return s;
  }

  inc(name: string, labels: Labels = {}, by = 1, help = name): void {
    this.series(this.family(name, 'counter', help), labels).value += by;
  }

  set(name: string, value: number, labels: Labels = {}, help = name): void {
    this.series(this.family(name, 'gauge', help), labels).value = value;
  }

  observe(name: string, value: number, labels: Labels = {}, help = name): void {
    const s = this.series(this.family(name, 'summary', help), labels);
    s.count++;
    s.sum += value;
    if (value > s.max) s.max = value;
  }

  /** A gauge computed at scrape time (queue depth, link state). */
  gauge(name: string, help: string, collect: () => { labels?: Labels; value: number }[]): void {
    const f = this.family(name, 'gauge', help);
    f.collect = collect;
  }

  /** Current value of a counter or gauge series (0 when absent). */
  get(name: string, labels: Labels = {}): number {
    const f = this.families.get(name);
    if (!f) return 0;
    if (f.collect) return f.collect().find((x) => keyOf(x.labels ?? {}) === keyOf(labels))?.value ?? 0;
    return f.series.get(keyOf(labels))?.value ?? 0;
  }

  /** Sum of a counter over every series whose labels include `match`. */
  total(name: string, match: Labels = {}): number {
    const f = this.families.get(name);
    if (!f) return 0;
    let t = 0;
    for (const s of f.series.values()) if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) t += f.type === 'summary' ? s.count : s.value;
    return t;
  }

  /** Prometheus text format. */
  render(): string {
    const out: string[] = [];
    for (const f of [...this.families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\n/g, ' ')}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      if (f.collect) {
        for (const x of f.collect()) out.push(`${f.name}${fmtLabels(x.labels ?? {})} ${fmt(x.value)}`);
        continue;
      }
      for (const s of f.series.values()) {
        if (f.type === 'summary') {
          out.push(`${f.name}_sum${fmtLabels(s.labels)} ${fmt(s.sum)}`);
          out.push(`${f.name}_count${fmtLabels(s.labels)} ${fmt(s.count)}`);
        } else {
          out.push(`${f.name}${fmtLabels(s.labels)} ${fmt(s.value)}`);
        }
      }
      if (f.type === 'summary') {
        // The largest observation, as its own gauge family (a summary has only _sum and _count here).
        out.push(`# HELP ${f.name}_max largest ${f.help.replace(/\n/g, ' ')}`, `# TYPE ${f.name}_max gauge`);
        for (const s of f.series.values()) out.push(`${f.name}_max${fmtLabels(s.labels)} ${fmt(s.max)}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
