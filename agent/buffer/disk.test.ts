import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from './disk.js';
import { encodeRecord, scanRecords } from './record.js';
import type { StoreBuffer, Stream } from './types.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dcim-disk-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = (extra: Partial<Parameters<typeof DiskBuffer.open>[0]> = {}) =>
  DiskBuffer.open({ dir, maxBytes: 1_000_000, segmentBytes: 400, fsync: 'always', ...extra });

function add(b: StoreBuffer, stream: Stream, n: number): void {
  for (let i = 0; i < n; i++) {
    const seq = b.nextSeq(stream);
    b.add({ stream, seq, sentAt: 1000 + seq, body: JSON.stringify({ seq, pad: 'y'.repeat(60) }) });
  }
}

const segFiles = (s: Stream) => readdirSync(join(dir, s)).filter((f) => f.endsWith('.seg')).sort();

describe('disk buffer records', () => {
  it('round-trips a record and detects a flipped byte and a short tail', () => {
    const rec = encodeRecord(42, 1_700_000_000_123, '{"a":"é"}');
    const ok = scanRecords(Buffer.concat([rec, rec]));
    expect(ok.records.map((r) => [r.seq, r.sentAt])).toEqual([[42, 1_700_000_000_123], [42, 1_700_000_000_123]]);
    expect(ok.damaged).toBe(false);
    const flipped = Buffer.from(rec);
    flipped[flipped.length - 2] ^= 0xff;
    expect(scanRecords(Buffer.concat([rec, flipped]))).toMatchObject({ validBytes: rec.length, damaged: true });
    expect(scanRecords(Buffer.concat([rec, rec.subarray(0, 11)]))).toMatchObject({ validBytes: rec.length, damaged: true });
  });
});

describe('disk buffer files', () => {
  it('cuts a torn tail at open, counts it, and keeps every whole record', async () => {
    const b = open();
    add(b, 'telemetry', 3);
    await b.close();
    const [last] = segFiles('telemetry').slice(-1);
    const path = join(dir, 'telemetry', last!);
    const whole = statSync(path).size;
    appendFileSync(path, encodeRecord(4, 1004, '{"seq":4}').subarray(0, 15)); // died mid-write
    const b2 = open();
    expect(b2.stats().damagedRecords).toBe(1);
    expect(statSync(path).size).toBe(whole);
    const tx = b2.begin(10);
    expect(tx.items.map((i) => i.seq)).toEqual([1, 2, 3]);
    b2.end(tx, true);
    expect(b2.nextSeq('telemetry')).toBe(4);
    await b2.close();
  });

  it('skips a corrupted record in a middle segment and keeps later segments', async () => {
    const b = open();
    add(b, 'telemetry', 12);
    await b.close();
    const files = segFiles('telemetry');
    expect(files.length).toBeGreaterThan(2);
    const first = join(dir, 'telemetry', files[0]!);
    const buf = readFileSync(first);
    truncateSync(first, buf.length - 3);
    const b2 = open();
    expect(b2.stats().damagedRecords).toBe(1);
    const tx = b2.begin(100);
    const seqs = tx.items.map((i) => i.seq);
    b2.end(tx, true);
    expect(seqs[seqs.length - 1]).toBe(12);
    expect(seqs.length).toBe(11);
    await b2.close();
  });

  it('rotates segments and deletes the ones fully delivered', async () => {
    const b = open();
    add(b, 'telemetry', 20);
    const before = segFiles('telemetry').length;
    expect(before).toBeGreaterThan(3);
    const tx = b.begin(15);
    b.end(tx, true);
    const after = segFiles('telemetry');
    expect(after.length).toBeLessThan(before);
    expect(Number(after[0]!.slice(0, -4))).toBeGreaterThan(1);
    await b.close();
    const b2 = open();
    expect(b2.begin(100).items.map((i) => i.seq)).toEqual([16, 17, 18, 19, 20]);
    await b2.close();
  });

  it('starts a new epoch when the meta file is lost, and sets the old files aside', async () => {
    const lost: string[] = [];
    const b = open();
    add(b, 'event', 2);
    const epoch = b.epoch;
    await b.close();
    writeFileSync(join(dir, 'meta.json'), '{ not json');
    const b2 = open({ onLost: (r) => lost.push(r) });
    expect(b2.epoch).not.toBe(epoch);
    expect(b2.len).toBe(0);
    expect(b2.nextSeq('event')).toBe(1);
    expect(lost[0]).toMatch(/meta file unreadable.*moved to/);
    expect(readdirSync(dir).some((f) => f.startsWith('lost-'))).toBe(true);
    await b2.close();
  });

  it('with fsync interval, queued items still survive a reopen', async () => {
    const b = open({ fsync: 'interval', fsyncIntervalMs: 10 });
    add(b, 'telemetry', 2);
    add(b, 'event', 1);
    await b.close();
    const b2 = open();
    expect(b2.begin(10).items.map((i) => `${i.stream}:${i.seq}`)).toEqual(['event:1', 'telemetry:1', 'telemetry:2']);
    await b2.close();
  });
});
