/**
 * Raw sample rows → line protocol, the hot path of InfluxDB ingest. Same text as building each
 * row with `line()` (influx-line.ts): one line per (series, ts), fields in arrival order, then
 * `q` (worst) and `bad`. Escaped series text and field keys are computed once per point and
 * rows are grouped by a numeric series id and ts, so a write allocates about one string per field.
 */
import type { SampleRow } from './backend.js';
import { escKey, escMeasurement, escString, fieldText, tagText } from './influx-line.js';
import type { PointMeta } from './types.js';

interface Encoded {
  /** Series id (per distinct escaped `measurement,tags` text). */
  sid: number;
  /** Escaped `measurement,tag=value…`. */
  series: string;
  /** Escaped field keys followed by `=`. */
  value: string;
  q: string;
  r: string;
  /** Unescaped field name for the `bad` row field. */
  field: string;
}

interface Group {
  series: string;
  ts: number;
  body: string;
  q: number;
  bad: string;
}

export class SampleLineEncoder {
  private readonly enc = new WeakMap<PointMeta, Encoded>();
  private readonly sids = new Map<string, number>();

  private encoded(meta: PointMeta): Encoded {
    let e = this.enc.get(meta);
    if (e === undefined) {
      const series = `${escMeasurement(meta.measurement)}${tagText(meta.tags)}`;
      let sid = this.sids.get(series);
      if (sid === undefined) this.sids.set(series, (sid = this.sids.size));
      e = { sid, series, value: `${escKey(meta.field)}=`, q: `${escKey(`${meta.field}__q`)}=`, r: `${escKey(`${meta.field}__r`)}=`, field: meta.field };
      this.enc.set(meta, e);
    }
    return e;
  }

  /** Lines for `rows`, in the order each (series, ts) first appears. */
  lines(rows: SampleRow[]): string[] {
    const byTs = new Map<number, Map<number, Group>>();
    const order: Group[] = [];
    let last: Group | null = null;
    let lastSid = -1;
    for (let i = 0; i < rows.length; i++) {
      const { meta, sample } = rows[i]!;
      const e = this.encoded(meta);
      let g: Group;
      if (last !== null && lastSid === e.sid && last.ts === sample.ts) g = last;
      else {
        let m = byTs.get(sample.ts);
        if (m === undefined) byTs.set(sample.ts, (m = new Map()));
        let found = m.get(e.sid);
        if (found === undefined) {
          m.set(e.sid, (found = { series: e.series, ts: sample.ts, body: '', q: 0, bad: '' }));
          order.push(found);
        }
        g = found;
        last = g;
        lastSid = e.sid;
      }
      if (sample.value !== null) g.body += `${g.body ? ',' : ''}${e.value}${fieldText(sample.value)}`;
      if (sample.q > 0) g.body += `${g.body ? ',' : ''}${e.q}${Math.trunc(sample.q)}i`;
      if (sample.reason !== undefined) g.body += `${g.body ? ',' : ''}${e.r}${escString(sample.reason)}`;
      if (sample.q === 2) g.bad += `${g.bad ? ',' : ''}${e.field}:${sample.reason ?? 'bad'}`;
      if (sample.q > g.q) g.q = sample.q;
    }
    const out = new Array<string>(order.length);
    for (let i = 0; i < order.length; i++) {
      const g = order[i]!;
      out[i] = `${g.series} ${g.body}${g.body ? ',' : ''}q=${g.q}i${g.bad ? `,bad=${escString(g.bad)}` : ''} ${Math.trunc(g.ts)}`;
    }
    return out;
  }
}
