// Site-level helpers shared by views: which site this console shows, latest values of devices
// (so a view renders at once, before the live stream sends changes), and value lookup.
const QUALITY = ['good', 'uncertain', 'bad'];
let sitePromise = null;

/** The site to show: the first site with stored points (the demo has one, sim1). */
export function siteId(api) {
  sitePromise ??= api('/api/sites').then((s) => s?.[0]?.site ?? 'sim1').catch(() => { sitePromise = null; return 'sim1'; });
  return sitePromise;
}

/** A stored latest sample as a stream point (same shape as points on /api/stream). */
export function fromLatest(s) {
  return { site: s.site, device: s.device, name: s.name, value: s.value, unit: s.unit, ts: s.ts, quality: QUALITY[s.q] ?? 'bad', reason: s.reason };
}

export async function loadLatest(api, store, site, devices) {
  const lists = await Promise.all(devices.map((d) => api(`/api/sites/${encodeURIComponent(site)}/points/latest?device=${encodeURIComponent(d)}`).catch(() => [])));
  for (const list of lists) for (const s of list) {
    const k = `${s.device}/${s.name}`;
    const cur = store.points.get(k);
    if (!cur || cur.ts <= s.ts) store.points.set(k, fromLatest(s));
  }
}

/** The value of a point when its quality is not bad; undefined when unknown. */
export function pointValue(store, device, name) {
  const p = store.points.get(`${device}/${name}`);
  if (!p || p.quality === 'bad') return undefined;
  return p.value;
}
