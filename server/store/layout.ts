/**
 * Where a point lives in the SERVER.md §2.2 layout: measurement = equipment class, bounded tags,
 * field = point name as storage key. A pure function of (site, device, point name, config), so
 * every replica and both stores map a point the same way, before or after the agent's birth.
 *
 * Cardinality guard (R43): only tag keys from a bounded allow-list may be configured; identifiers
 * that are unbounded (alarm ids, request ids, timestamps, free text) are refused at startup.
 */
import { fieldKey } from '../../lib/points.js';

/** Tag keys whose values are bounded by the site's equipment (SERVER.md §2.2). */
export const BOUNDED_TAG_KEYS = [
  'site', 'device', 'room', 'zone', 'rack', 'module', 'cell', 'region', 'camera', 'row', 'position',
  'side', 'feed', 'meter', 'role', 'plant', 'tank', 'kind', 'scope', 'scope_id', 'kpi', 'category',
  'period', 'entity', 'severity', 'point', 'agent', 'stream', 'epoch',
] as const;

/** Tag keys that are known to be unbounded and are refused by name, with the reason. */
export const UNBOUNDED_TAG_KEYS: Record<string, string> = {
  alarm_id: 'one value per alarm', id: 'one value per record', request_id: 'one value per request',
  incident_id: 'one value per incident', ts: 'a timestamp', time: 'a timestamp', timestamp: 'a timestamp',
  message: 'free text', reason: 'free text', user: 'grows with users', seq: 'a sequence number',
};

export class CardinalityError extends Error {
  constructor(readonly tagKey: string, why: string) {
    super(`tag key "${tagKey}" is not allowed (${why}); store it as a field instead (SERVER.md R43)`);
    this.name = 'CardinalityError';
  }
}

/** Validate tag keys configured for a store; throws CardinalityError on the first offending key. */
export function validateTagKeys(keys: readonly string[]): void {
  for (const k of keys) {
    const unbounded = UNBOUNDED_TAG_KEYS[k];
    if (unbounded) throw new CardinalityError(k, unbounded);
    if (!(BOUNDED_TAG_KEYS as readonly string[]).includes(k)) throw new CardinalityError(k, 'not in the bounded tag list');
  }
}

/** Equipment class from the device id prefix of the site naming convention (site-names.md). */
export const DEFAULT_DEVICE_CLASSES: Array<[RegExp, string]> = [
  [/^ups-/, 'ups'], [/^bms-/, 'bms'], [/^fire-/, 'fire_io'], [/^ats-/, 'switch'], [/^meters?-/, 'meter'],
  [/^pdu-/, 'pdu'], [/^chiller/, 'chiller'], [/^cam-/, 'camera'], [/^env-/, 'env'], [/^feed-/, 'feed'],
  [/^tank/, 'tank'],
];

export interface LayoutConfig {
  /** device id → equipment class (measurement), overrides the id-prefix rules. */
  deviceClasses?: Record<string, string>;
  /** device id → extra bounded tags (room, zone, ...). Keys are validated by validateTagKeys. */
  deviceTags?: Record<string, Record<string, string>>;
  /** Point-name patterns that are cumulative counters (default: `energy` as a name segment). */
  counterPattern?: RegExp;
}

export interface Placement {
  measurement: string;
  tags: Record<string, string>;
  field: string;
  counter: boolean;
}

const MEASUREMENT_RE = /^[a-z][a-z0-9_]{0,63}$/;

export function validateLayout(cfg: LayoutConfig): void {
  for (const [dev, cls] of Object.entries(cfg.deviceClasses ?? {})) {
    if (!MEASUREMENT_RE.test(cls)) throw new Error(`deviceClasses.${dev}: "${cls}" is not a measurement name (a-z, 0-9, _)`);
  }
  for (const tags of Object.values(cfg.deviceTags ?? {})) validateTagKeys(Object.keys(tags));
}

export function deviceClass(device: string, cfg: LayoutConfig): string {
  const explicit = cfg.deviceClasses?.[device];
  if (explicit) return explicit;
  for (const [re, cls] of DEFAULT_DEVICE_CLASSES) if (re.test(device)) return cls;
  return 'device';
}

/**
 * rack.{r}.module.{m}.X → `{class}_module` {rack, module} field X; rack.{r}.X → `{class}_rack`
 * {rack} field X; camera.region.{r}.X → `camera` {region} field X; anything else → `{class}`.
 */
export function placePoint(site: string, device: string, name: string, cfg: LayoutConfig = {}): Placement {
  const cls = deviceClass(device, cfg);
  const tags: Record<string, string> = { site, device, ...(cfg.deviceTags?.[device] ?? {}) };
  const counter = (cfg.counterPattern ?? /(^|\.)energy(\.|$)/).test(name);
  let m = /^rack\.(\d{1,4})\.module\.(\d{1,4})\.(.+)$/.exec(name);
  if (m) return { measurement: `${cls}_module`, tags: { ...tags, rack: m[1]!, module: m[2]! }, field: fieldKey(m[3]!), counter };
  m = /^rack\.(\d{1,4})\.(.+)$/.exec(name);
  if (m) return { measurement: `${cls}_rack`, tags: { ...tags, rack: m[1]! }, field: fieldKey(m[2]!), counter };
  m = /^camera\.region\.(\d{1,4})\.(.+)$/.exec(name);
  if (m) return { measurement: cls, tags: { ...tags, region: m[1]! }, field: fieldKey(`camera.region.${m[2]!}`), counter };
  return { measurement: cls, tags, field: fieldKey(name), counter };
}
