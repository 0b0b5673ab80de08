/**
 * Malformed payloads, byte-exact, for the "malformed camera payloads" faults (and the same
 * faults on the inlet sensor gateways). Each takes the payload the device would have sent:
 *
 * | kind          | bytes sent                                                                      |
 * |---------------|---------------------------------------------------------------------------------|
 * | `truncated`   | the first ⌊n/2⌋ bytes of the normal JSON (n = its byte length): invalid JSON     |
 * | `nan`         | the normal JSON with every measured number written as the bare literal `NaN`     |
 * | `wrong_types` | valid JSON with every measured number written as a string (`"max":"45.3"`)       |
 * | `oversize`    | valid JSON of exactly 1,048,576 bytes: the normal object plus `"padding":"xx…"`  |
 *
 * "Measured numbers" are the values under the device's measurement keys (camera: max, mean,
 * data; inlet sensor: temperature, humidity); ids, indexes, ts and seq stay numbers.
 */
export const PAYLOAD_FAULT_KINDS = ['truncated', 'nan', 'wrong_types', 'oversize'] as const;
export type PayloadFaultKind = (typeof PAYLOAD_FAULT_KINDS)[number];

export const OVERSIZE_BYTES = 1_048_576;

const NAN_MARK = '\u0000NaN\u0000';

export class PayloadFaultError extends TypeError {
  constructor(kind: unknown) {
    super(`unknown payload fault ${JSON.stringify(kind)}: use one of ${PAYLOAD_FAULT_KINDS.join(', ')} or null`);
    this.name = 'PayloadFaultError';
  }
}

export function assertFaultKind(kind: unknown): asserts kind is PayloadFaultKind | null {
  if (kind !== null && !PAYLOAD_FAULT_KINDS.includes(kind as PayloadFaultKind)) throw new PayloadFaultError(kind);
}

function mapMeasured(value: unknown, keys: ReadonlySet<string>, f: (n: number) => unknown, inside = false): unknown {
  if (typeof value === 'number') return inside ? f(value) : value;
  if (Array.isArray(value)) return value.map((v) => mapMeasured(v, keys, f, inside));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapMeasured(v, keys, f, inside || keys.has(k));
    return out;
  }
  return value;
}

/** The bytes a device sends for `payload` under fault `kind` (null: the normal JSON). */
export function encodePayload(payload: object, kind: PayloadFaultKind | null, measurementKeys: readonly string[]): Buffer {
  const keys = new Set(measurementKeys);
  switch (kind) {
    case null: return Buffer.from(JSON.stringify(payload));
    case 'truncated': {
      const full = Buffer.from(JSON.stringify(payload));
      return full.subarray(0, Math.floor(full.length / 2));
    }
    case 'nan':
      return Buffer.from(JSON.stringify(mapMeasured(payload, keys, () => NAN_MARK)).split(JSON.stringify(NAN_MARK)).join('NaN'));
    case 'wrong_types':
      return Buffer.from(JSON.stringify(mapMeasured(payload, keys, (n) => String(n))));
    case 'oversize': {
      const base = Buffer.byteLength(JSON.stringify({ ...payload, padding: '' }));
      return Buffer.from(JSON.stringify({ ...payload, padding: 'x'.repeat(Math.max(0, OVERSIZE_BYTES - base)) }));
    }
    default: throw new PayloadFaultError(kind);
  }
}
