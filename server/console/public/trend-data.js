// Pure data shaping for the trends view (no DOM): history responses → one aligned uPlot data set
// with quality gaps as nulls, per-series quality counts, and the CSV of what is drawn.
// Tested in test/browser/trend-data.test.ts.

export const PERIODS = [
  { id: '15m', label: 'Last 15 min', ms: 15 * 60_000 }, { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 }, { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 }, { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];
const QUALITY = ['good', 'uncertain', 'bad'];

/** Raw samples up to 6 h, then 1-min, 15-min, hourly and daily rollups. */
export function autoTier(spanMs) {
  if (spanMs <= 6 * 3_600_000) return 'raw';
  if (spanMs <= 3 * 86_400_000) return '1m';
  if (spanMs <= 30 * 86_400_000) return '15m';
  if (spanMs <= 180 * 86_400_000) return '1h';
  return '1d';
}

function numeric(v, codes) {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    if (!codes.has(v)) codes.set(v, codes.size + 1);
    return codes.get(v);
  }
  return null;
}

/** One series' samples as {t, v, q}; v is null for bad quality (drawn as a gap). */
export function samplesOf(result) {
  const codes = new Map();
  let out = [];
  if (result.kind === 'raw') out = (result.samples ?? []).map((s) => ({ t: s.ts, v: s.q === 2 ? null : numeric(s.value, codes), q: QUALITY[s.q] ?? 'bad' }));
  else if (result.kind === 'rollup') out = (result.values ?? []).map((b) => ({ t: b.bucket, v: b.countGood === 0 ? null : b.value, q: b.countGood === 0 ? 'bad' : b.countGood < b.count ? 'uncertain' : 'good' }));
  else if (result.kind === 'kpi') out = (result.rows ?? []).map((r) => ({ t: r.periodEnd, v: r.quality === 2 ? null : r.value, q: QUALITY[r.quality] ?? 'bad' }));
  out.sort((a, b) => a.t - b.t);
  return { samples: out, codes };
}

/** Insert a null where the data stops for more than 3× its usual interval (and at least `minGapMs`). */
export function withGaps(samples, minGapMs = 5000) {
  if (samples.length < 3) return { samples, gaps: 0 };
  const dts = samples.slice(1).map((s, i) => s.t - samples[i].t).sort((a, b) => a - b);
  const limit = Math.max(minGapMs, 3 * dts[Math.floor(dts.length / 2)]);
  const out = [samples[0]];
  let gaps = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].t - samples[i - 1].t > limit) { out.push({ t: samples[i - 1].t + 1, v: null, q: 'gap' }); gaps++; }
    out.push(samples[i]);
  }
  return { samples: out, gaps };
}

/** Align several series on one time axis (seconds). undefined = no sample at that time (joined over), null = gap. */
export function buildSeries(defs, results, range) {
  const series = defs.map((d, i) => {
    const r = results[i] ?? {};
    if (r.error) return { label: `${d.device} ${d.name}`, unit: d.unit ?? '', samples: [], stats: { good: 0, uncertain: 0, bad: 0, gaps: 0 }, error: r.error };
    const { samples, codes } = samplesOf(r);
    const g = withGaps(samples);
    const count = (q) => samples.filter((s) => s.q === q).length;
    const badRuns = samples.filter((s, j) => s.q === 'bad' && (j === 0 || samples[j - 1].q !== 'bad')).length;
    const codeText = codes.size ? ` (${[...codes].map(([k, v]) => `${v}=${k}`).join(', ')})` : '';
    return { label: `${d.device === '__kpi' ? 'figure' : d.device} ${d.name}${d.unit ? ` [${d.unit}]` : ''}${codeText}`, unit: d.unit ?? '', samples: g.samples,
      stats: { good: count('good'), uncertain: count('uncertain'), bad: count('bad'), gaps: g.gaps + badRuns } };
  });
  const xs = [...new Set(series.flatMap((s) => s.samples.map((x) => x.t)).filter((t) => t >= range.from - 1 && t <= range.to + 1))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const data = [xs.map((t) => t / 1000)];
  const quality = [];
  for (const s of series) {
    const ys = new Array(xs.length).fill(undefined);
    const qs = new Array(xs.length).fill('');
    for (const x of s.samples) { const i = index.get(x.t); if (i !== undefined) { ys[i] = x.v; qs[i] = x.q; } }
    data.push(ys);
    quality.push(qs);
  }
  return { series, data, quality };
}

const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** time (ISO), then value and quality per series; empty where a series has no sample. */
export function toCsv({ series, data, quality }) {
  const head = ['time', ...series.flatMap((s) => [s.label, `${s.label} quality`])];
  const rows = data[0].map((t, i) => [new Date(t * 1000).toISOString(), ...series.flatMap((_, j) => {
    const v = data[j + 1][i];
    return [v === undefined || v === null ? '' : v, quality[j][i]];
  })]);
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
