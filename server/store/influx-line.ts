/**
 * InfluxDB 1.x line protocol and InfluxQL quoting helpers (pure). Numbers are written as floats
 * (shortest round-trip text), integers with the `i` suffix only where the layout says int.
 */
export type FieldValue = number | boolean | string | { int: number };

export function escMeasurement(s: string): string {
  return s.replace(/[, \\]/g, (c) => `\\${c}`);
}

export function escKey(s: string): string {
  return s.replace(/[,= \\]/g, (c) => `\\${c}`);
}

export function escString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function fieldText(v: FieldValue): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('line protocol cannot carry a non-finite number');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return escString(v);
  return `${Math.trunc(v.int)}i`;
}

/** Tag keys sorted (InfluxDB's preferred order) and escaped; empty tag values are dropped. */
export function tagText(tags: Record<string, string>): string {
  let out = '';
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k];
    if (v === undefined || v === '') continue;
    out += `,${escKey(k)}=${escKey(v)}`;
  }
  return out;
}

export function line(measurement: string, tags: Record<string, string> | string, fields: Array<[string, FieldValue]>, ts: number): string {
  const t = typeof tags === 'string' ? tags : tagText(tags);
  return `${escMeasurement(measurement)}${t} ${fields.map(([k, v]) => `${escKey(k)}=${fieldText(v)}`).join(',')} ${Math.trunc(ts)}`;
}

/** InfluxQL identifier and string literal quoting. */
export function ident(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function literal(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export function whereTags(tags: Record<string, string>): string {
  return Object.keys(tags).sort().map((k) => `${ident(k)} = ${literal(tags[k]!)}`).join(' AND ');
}
