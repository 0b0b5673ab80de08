/**
 * On-disk record of the store-and-forward segments:
 *
 *   u32 LE  data length
 *   u32 LE  CRC-32 of data
 *   data:   u8 version (1) | u48 LE seq | u48 LE sentAt (ms) | body (UTF-8 JSON)
 *
 * A record whose length runs past the end of the file or whose CRC does not match is a torn
 * tail (the process died mid-write): scanning stops there and reports the valid length.
 */
import * as zlib from 'node:zlib';

export const RECORD_HEADER = 8;
const DATA_HEADER = 13;
export const RECORD_OVERHEAD = RECORD_HEADER + DATA_HEADER;
/** Largest record accepted when scanning (anything bigger is damage, not data). */
export const MAX_RECORD = 64 * 1024 * 1024;

const table = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE); node:zlib's when present (Node ≥ 20.15), else a table implementation. */
export function crc32(buf: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  if (native) return native(buf) >>> 0;
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = table[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function encodeRecord(seq: number, sentAt: number, body: string): Buffer {
  const bodyLen = Buffer.byteLength(body);
  const out = Buffer.allocUnsafe(RECORD_OVERHEAD + bodyLen);
  const dataLen = DATA_HEADER + bodyLen;
  out.writeUInt32LE(dataLen, 0);
  out.writeUInt8(1, 8);
  out.writeUIntLE(seq, 9, 6);
  out.writeUIntLE(sentAt, 15, 6);
  out.write(body, RECORD_OVERHEAD, 'utf8');
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER)), 4);
  return out;
}

export interface ScannedRecord {
  seq: number;
  sentAt: number;
  /** Offset of the body in the file, and its length. */
  bodyPos: number;
  bodyLen: number;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Bytes of whole, valid records from the start; anything after is damaged. */
  validBytes: number;
  damaged: boolean;
}

export function scanRecords(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < RECORD_HEADER) return { records, validBytes: pos, damaged: true };
    const dataLen = buf.readUInt32LE(pos);
    if (dataLen < DATA_HEADER || dataLen > MAX_RECORD || pos + RECORD_HEADER + dataLen > buf.length) {
      return { records, validBytes: pos, damaged: true };
    }
    const data = buf.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + dataLen);
    if (crc32(data) !== buf.readUInt32LE(pos + 4) || data[0] !== 1) return { records, validBytes: pos, damaged: true };
    records.push({
      seq: data.readUIntLE(1, 6),
      sentAt: data.readUIntLE(7, 6),
      bodyPos: pos + RECORD_OVERHEAD,
      bodyLen: dataLen - DATA_HEADER,
    });
    pos += RECORD_HEADER + dataLen;
  }
  return { records, validBytes: pos, damaged: false };
}
