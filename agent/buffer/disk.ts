/**
 * Store-and-forward on disk: per stream, append-only segment files of length+CRC records
 * (record.ts); a small meta file (epoch, next sequence numbers, removed ranges) replaced
 * atomically (write + rename). Survives a process kill: at open, every segment is scanned, a torn
 * tail is cut off and counted, removed records are skipped, the rest is queued again (historical).
 *
 * fsync policy: `always` (each add and each meta update is fsynced: survives power loss),
 * `interval` (a timer fsyncs every intervalMs; events are still fsynced at once), `never` (the OS
 * decides; survives a process kill, not a power loss).
 */
import {
  closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync,
  readSync, renameSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BaseBuffer, type Entry } from './base.js';
import { encodeRecord, RECORD_OVERHEAD, scanRecords } from './record.js';
import { addSeqs, contains, prune, type Range } from './ranges.js';
import { newEpoch, STREAMS, type BufferItem, type BufferOptions, type Stream } from './types.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface DiskBufferOptions extends BufferOptions {
  dir: string;
  /** Start a new segment file past this size (default 4 MiB). */
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  /** Called once when the store had to be started afresh (new epoch) although the folder existed. */
  onLost?: (reason: string) => void;
}

interface Segment {
  stream: Stream;
  path: string;
  firstSeq: number;
  size: number;
  live: number;
  fd: number;
  active: boolean;
  dirty: boolean;
}

interface DiskEntry extends Entry { seg?: Segment; pos?: number; blen?: number }

interface Meta {
  v: 1;
  epoch: string;
  next: Record<Stream, number>;
  removed: Record<Stream, Range[]>;
}

const META = 'meta.json';

export class DiskBuffer extends BaseBuffer {
  readonly epoch: string;
  private readonly segments: Record<Stream, Segment[]> = { event: [], telemetry: [] };
  private removed: Record<Stream, Range[]> = { event: [], telemetry: [] };
  private readonly segmentBytes: number;
  private readonly fsync: FsyncPolicy;
  private timer: NodeJS.Timeout | null = null;

  /** Open (or create) the store in `opts.dir`. Synchronous file I/O; call from start(). */
  static open(opts: DiskBufferOptions): DiskBuffer { return new DiskBuffer(opts); }

  private constructor(private readonly opts: DiskBufferOptions) {
    super(opts.maxBytes);
    this.segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
    this.fsync = opts.fsync ?? 'always';
    mkdirSync(opts.dir, { recursive: true });
    const meta = this.readMeta();
    this.epoch = meta.epoch;
    this.seqs = { ...meta.next };
    this.removed = meta.removed;
    for (const s of STREAMS) this.recover(s);
    this.writeMeta();
    if (this.fsync === 'interval') {
      this.timer = setInterval(() => this.syncDirty(), opts.fsyncIntervalMs ?? 1000);
      this.timer.unref();
    }
  }

  private readMeta(): Meta {
    const file = join(this.opts.dir, META);
    const fresh = (): Meta => ({ v: 1, epoch: newEpoch(), next: { event: 1, telemetry: 1 }, removed: { event: [], telemetry: [] } });
    const hasSegments = STREAMS.some((s) => existsSync(join(this.opts.dir, s)) && readdirSync(join(this.opts.dir, s)).length > 0);
    if (!existsSync(file)) {
      if (hasSegments) this.setAside('meta file missing');
      return fresh();
    }
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as Meta;
      if (m.v !== 1 || typeof m.epoch !== 'string' || !m.next || !m.removed) throw new Error('unexpected shape');
      return m;
    } catch (err) {
      this.setAside(`meta file unreadable: ${(err as Error).message}`);
      return fresh();
    }
  }

  /** The sequence space is lost: keep the old files aside for inspection, start a new epoch. */
  private setAside(reason: string): void {
    const aside = join(this.opts.dir, `lost-${Date.now()}`);
    mkdirSync(aside, { recursive: true });
    for (const name of [META, ...STREAMS]) {
      const p = join(this.opts.dir, name);
      if (existsSync(p)) renameSync(p, join(aside, name));
    }
    this.counters.damagedRecords++;
    this.opts.onLost?.(`${reason}; old files moved to ${aside}`);
  }

  private recover(stream: Stream): void {
    const dir = join(this.opts.dir, stream);
    mkdirSync(dir, { recursive: true });
    const files = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
    let maxSeq = 0;
    files.forEach((f, i) => {
      const path = join(dir, f);
      const buf = readFileSync(path);
      const scan = scanRecords(buf);
      const last = i === files.length - 1;
      if (scan.damaged) {
        this.counters.damagedRecords++;
        if (last) {
          const fd = openSync(path, 'r+');
          ftruncateSync(fd, scan.validBytes);
          fsyncSync(fd);
          closeSync(fd);
        }
      }
      const seg: Segment = { stream, path, firstSeq: Number(f.slice(0, -4)), size: scan.validBytes, live: 0, fd: openSync(path, last ? 'a+' : 'r'), active: last, dirty: false };
      for (const r of scan.records) {
        maxSeq = Math.max(maxSeq, r.seq);
        if (contains(this.removed[stream], r.seq)) continue;
        const e: DiskEntry = { stream, seq: r.seq, sentAt: r.sentAt, size: r.bodyLen + RECORD_OVERHEAD, historical: true, seg, pos: r.bodyPos, blen: r.bodyLen };
        seg.live++;
        this.queues[stream].push(e);
        this.totalBytes += e.size;
      }
      if (seg.live === 0 && !last) { closeSync(seg.fd); unlinkSync(path); } else this.segments[stream].push(seg);
    });
    this.seqs[stream] = Math.max(this.seqs[stream], maxSeq + 1);
  }

  protected sizeOf(body: string): number { return Buffer.byteLength(body) + RECORD_OVERHEAD; }

  protected persistAdd(entry: DiskEntry, item: BufferItem): void {
    const rec = encodeRecord(item.seq, item.sentAt, item.body);
    try {
      const seg = this.activeSegment(item.stream, item.seq);
      writeSync(seg.fd, rec);
      entry.seg = seg;
      entry.pos = seg.size + RECORD_OVERHEAD;
      entry.blen = rec.length - RECORD_OVERHEAD;
      seg.size += rec.length;
      seg.live++;
      if (this.fsync === 'always' || (this.fsync === 'interval' && item.stream === 'event')) fsyncSync(seg.fd);
      else seg.dirty = true;
    } catch {
      // Disk full or failing: keep the item in memory so it is still delivered while we run.
      this.counters.writeErrors++;
      entry.body = item.body;
    }
  }

  protected readBody(entry: DiskEntry): string {
    if (entry.body !== undefined) return entry.body;
    const buf = Buffer.allocUnsafe(entry.blen!);
    readSync(entry.seg!.fd, buf, 0, entry.blen!, entry.pos!);
    return buf.toString('utf8');
  }

  protected persistRemove(removed: DiskEntry[]): void {
    const bySeq: Record<Stream, number[]> = { event: [], telemetry: [] };
    for (const e of removed) {
      bySeq[e.stream].push(e.seq);
      if (e.seg) e.seg.live--;
    }
    for (const s of STREAMS) {
      if (bySeq[s].length) this.removed[s] = addSeqs(this.removed[s], bySeq[s]);
      // Delete whole segments that hold nothing live any more (never the one being written).
      this.segments[s] = this.segments[s].filter((seg) => {
        if (seg.live > 0 || seg.active) return true;
        closeSync(seg.fd);
        unlinkSync(seg.path);
        return false;
      });
      const floor = this.segments[s][0]?.firstSeq ?? this.seqs[s];
      this.removed[s] = prune(this.removed[s], floor);
    }
    this.writeMeta();
  }

  private activeSegment(stream: Stream, seq: number): Segment {
    const segs = this.segments[stream];
    let cur: Segment | undefined = segs[segs.length - 1];
    if (cur && cur.size >= this.segmentBytes) {
      if (cur.dirty) fsyncSync(cur.fd);
      closeSync(cur.fd);
      cur.fd = openSync(cur.path, 'r');
      cur.active = false;
      cur.dirty = false;
      if (cur.live === 0) { closeSync(cur.fd); unlinkSync(cur.path); segs.pop(); }
      cur = undefined;
    }
    if (!cur) {
      const path = join(this.opts.dir, stream, `${String(seq).padStart(16, '0')}.seg`);
      cur = { stream, path, firstSeq: seq, size: 0, live: 0, fd: openSync(path, 'a+'), active: true, dirty: false };
      segs.push(cur);
    }
    return cur;
  }

  private writeMeta(): void {
    const meta: Meta = { v: 1, epoch: this.epoch, next: { ...this.seqs }, removed: this.removed };
    const file = join(this.opts.dir, META);
    const tmp = `${file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(meta));
      if (this.fsync === 'always') { const fd = openSync(tmp, 'r'); fsyncSync(fd); closeSync(fd); }
      renameSync(tmp, file);
    } catch {
      this.counters.writeErrors++;
    }
  }

  private syncDirty(): void {
    for (const s of STREAMS) for (const seg of this.segments[s]) if (seg.dirty) { fsyncSync(seg.fd); seg.dirty = false; }
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.syncDirty();
    this.writeMeta();
    for (const s of STREAMS) for (const seg of this.segments[s]) closeSync(seg.fd);
    this.segments.event = [];
    this.segments.telemetry = [];
    await super.close();
  }
}

