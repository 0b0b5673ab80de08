/**
 * Write-ahead, append-only, hash-chained journal of one fire zone (FS-30, FS-34, FS-35).
 *
 * One JSON line per record:
 *   {seq, ts (UTC ms), mono (monotonic ms), configHash, machineVersion, type, data, prevHash, hash}
 * `hash` = sha256(canonical JSON of every other field): it is both the per-record checksum and the
 * chain link (the next record carries it as `prevHash`). The first record links to GENESIS.
 *
 * - `append(type, data, {sync})` writes one line; `sync: true` (default for intents, transitions
 *   and commands) fsyncs before returning, so an output is never written before its intent is on
 *   disk (FS-30). `flush()` fsyncs what was written unsynced (group commit: one fsync covers every
 *   earlier line of the file).
 * - `open()` verifies the whole chain. A torn tail (power loss mid-write: a last line without its
 *   newline, unparsable, or with a bad hash) is cut off and a `journal.tornTail` record says so
 *   (FS-34). A bad record followed by good ones is corruption, not a torn write: the file is kept
 *   under a `.corrupt-<ts>` name (never deleted) and a new chain starts with `journal.chainBreak`.
 * - There is no delete or rewrite API. Snapshots live beside the journal (snapshot.json), written
 *   atomically (tmp + fsync + rename), with the machine version and config hash (R51c).
 */
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../lib/command-signing.js';
import type { Clock } from '../drivers/types.js';
import type { Logger } from '../../lib/log.js';

export const GENESIS = '0'.repeat(64);
export const JOURNAL_FILE = 'journal.jsonl';
export const SNAPSHOT_FILE = 'snapshot.json';

export interface JournalRecord {
  seq: number;
  ts: number;
  mono: number;
  configHash: string;
  machineVersion: string;
  type: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface OpenReport {
  records: JournalRecord[];
  /** Bytes cut off the end because the last write was torn (FS-34). */
  tornTail: { bytes: number; reason: string } | null;
  /** Set when a bad record sat before good ones; the old file was kept aside. */
  chainBreak: { atLine: number; keptAs: string; reason: string } | null;
}

export interface VerifyReport {
  ok: boolean;
  records: JournalRecord[];
  /** Byte offset just after the last good record. */
  goodBytes: number;
  totalBytes: number;
  /** Problem at the end only (torn write) vs. in the middle (corruption). */
  problem: null | { kind: 'torn' | 'corrupt'; line: number; reason: string };
}

export interface StoredSnapshot<S = unknown> {
  v: 1;
  zone: string;
  machineVersion: string;
  configHash: string;
  journalSeq: number;
  journalHash: string;
  savedAt: number;
  snapshot: S;
  hash: string;
}

export class JournalError extends Error {
  constructor(message: string) { super(message); this.name = 'JournalError'; }
}

export function recordHash(r: Omit<JournalRecord, 'hash'>): string {
  const { seq, ts, mono, configHash, machineVersion, type, data, prevHash } = r;
  return createHash('sha256').update(canonicalJson({ seq, ts, mono, configHash, machineVersion, type, data, prevHash })).digest('hex');
}

function checkRecord(v: unknown, prev: { seq: number; hash: string }): string | null {
  if (!v || typeof v !== 'object') return 'not an object';
  const r = v as JournalRecord;
  if (typeof r.seq !== 'number' || typeof r.hash !== 'string' || typeof r.type !== 'string') return 'missing fields';
  if (recordHash(r) !== r.hash) return 'checksum mismatch';
  if (r.prevHash !== prev.hash) return 'chain link mismatch';
  if (r.seq !== prev.seq + 1) return `sequence gap (${prev.seq} → ${r.seq})`;
  return null;
}

/** Verify a journal file's chain without changing it. */
export function verifyJournalFile(file: string): VerifyReport {
  if (!existsSync(file)) return { ok: true, records: [], goodBytes: 0, totalBytes: 0, problem: null };
  const buf = readFileSync(file);
  const records: JournalRecord[] = [];
  let prev = { seq: 0, hash: GENESIS };
  let pos = 0;
  let line = 0;
  while (pos < buf.length) {
    line++;
    const nl = buf.indexOf(0x0a, pos);
    const end = nl === -1 ? buf.length : nl;
    const text = buf.subarray(pos, end).toString('utf8');
    let reason: string | null = null;
    let parsed: unknown;
    if (nl === -1) reason = 'last record has no line end (torn write)';
    else {
      try { parsed = JSON.parse(text); } catch { reason = 'unparsable record'; }
      if (!reason) reason = checkRecord(parsed, prev);
    }
    if (reason) {
      const rest = nl === -1 ? '' : buf.subarray(nl + 1).toString('utf8').trim();
      const kind = rest.length === 0 ? 'torn' : 'corrupt';
      return { ok: false, records, goodBytes: pos, totalBytes: buf.length, problem: { kind, line, reason } };
    }
    const r = parsed as JournalRecord;
    records.push(r);
    prev = { seq: r.seq, hash: r.hash };
    pos = end + 1;
  }
  return { ok: true, records, goodBytes: pos, totalBytes: buf.length, problem: null };
}

export interface JournalOptions {
  dir: string;
  zone: string;
  clock: Clock;
  configHash: string;
  machineVersion: string;
  log?: Logger;
}

export class Journal {
  private fd: number | null = null;
  private last = { seq: 0, hash: GENESIS };
  /** Records written since the last fsync (sync: false); the next fsync makes them durable too. */
  private unsynced = 0;
  private configHash: string;
  private machineVersion: string;
  readonly file: string;
  readonly snapshotFile: string;

  constructor(private readonly opts: JournalOptions) {
    this.file = join(opts.dir, JOURNAL_FILE);
    this.snapshotFile = join(opts.dir, SNAPSHOT_FILE);
    this.configHash = opts.configHash;
    this.machineVersion = opts.machineVersion;
  }

  /** Verify, repair a torn tail, and open for appending. Returns every good record. */
  open(): OpenReport {
    if (this.fd !== null) throw new JournalError(`journal ${this.file} is already open`);
    mkdirSync(this.opts.dir, { recursive: true });
    const v = verifyJournalFile(this.file);
    let tornTail: OpenReport['tornTail'] = null;
    let chainBreak: OpenReport['chainBreak'] = null;
    let records = v.records;
    if (v.problem?.kind === 'torn') {
      const fd = openSync(this.file, 'r+');
      try { ftruncateSync(fd, v.goodBytes); fsyncSync(fd); } finally { closeSync(fd); }
      tornTail = { bytes: v.totalBytes - v.goodBytes, reason: v.problem.reason };
    } else if (v.problem?.kind === 'corrupt') {
      const keptAs = `${this.file}.corrupt-${this.opts.clock.now()}`;
      renameSync(this.file, keptAs);
      chainBreak = { atLine: v.problem.line, keptAs, reason: v.problem.reason };
      records = [];
    }
    const last = records[records.length - 1];
    this.last = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS };
    this.fd = openSync(this.file, 'a');
    fsyncDir(this.opts.dir);
    if (tornTail) {
      this.opts.log?.warn({ zone: this.opts.zone, ...tornTail }, 'journal: torn tail discarded');
      records.push(this.append('journal.tornTail', { ...tornTail, resumedAtSeq: this.last.seq }));
    }
    if (chainBreak) {
      this.opts.log?.error({ zone: this.opts.zone, ...chainBreak }, 'journal: chain broken; old file kept, new chain started');
      records.push(this.append('journal.chainBreak', { ...chainBreak }));
    }
    return { records, tornTail, chainBreak };
  }

  get lastSeq(): number { return this.last.seq; }
  get lastHash(): string { return this.last.hash; }
  get isOpen(): boolean { return this.fd !== null; }

  setConfigHash(h: string): void { this.configHash = h; }
  setMachineVersion(v: string): void { this.machineVersion = v; }

  /**
   * Append one record. `sync` (default true) fsyncs before returning: intents, transitions and
   * commands must be durable before the output they announce.
   */
  append(type: string, data: Record<string, unknown> = {}, opts: { sync?: boolean } = {}): JournalRecord {
    if (this.fd === null) throw new JournalError(`journal ${this.file} is not open; call open() first`);
    const body = {
      seq: this.last.seq + 1,
      ts: this.opts.clock.now(),
      mono: Math.round(this.opts.clock.monotonic() * 1000) / 1000,
      configHash: this.configHash,
      machineVersion: this.machineVersion,
      type,
      data: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
      prevHash: this.last.hash,
    };
    const rec: JournalRecord = { ...body, hash: recordHash(body) };
    // One write call per record: a crash leaves at most one torn line at the end.
    writeSync(this.fd, `${JSON.stringify(rec)}\n`);
    if (opts.sync !== false) { fsyncSync(this.fd); this.unsynced = 0; } else this.unsynced++;
    this.last = { seq: rec.seq, hash: rec.hash };
    return rec;
  }

  /**
   * Make every record written with `sync: false` durable (one fsync; none if there is nothing to
   * sync). Group commit: records that need not hold up an output are written unsynced, and the
   * next intent's fsync, or this call before control returns to the event loop, covers them all.
   */
  flush(): void {
    if (this.fd === null || this.unsynced === 0) return;
    fsyncSync(this.fd);
    this.unsynced = 0;
  }

  /** Every record currently in the file (verified). */
  readAll(): JournalRecord[] {
    return verifyJournalFile(this.file).records;
  }

  /** Store a snapshot beside the journal, atomically, tagged with version, config hash and the journal position. */
  saveSnapshot<S>(snapshot: S): StoredSnapshot<S> {
    this.flush(); // the journal is durable up to the position the snapshot names
    const body = {
      v: 1 as const,
      zone: this.opts.zone,
      machineVersion: this.machineVersion,
      configHash: this.configHash,
      journalSeq: this.last.seq,
      journalHash: this.last.hash,
      savedAt: this.opts.clock.now(),
      snapshot: JSON.parse(JSON.stringify(snapshot)) as S,
    };
    const stored: StoredSnapshot<S> = { ...body, hash: createHash('sha256').update(canonicalJson(body)).digest('hex') };
    const tmp = `${this.snapshotFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try { writeSync(fd, JSON.stringify(stored)); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, this.snapshotFile);
    fsyncDir(this.opts.dir);
    return stored;
  }

  /** The stored snapshot, or why it cannot be used (missing, corrupt). Version checks are the caller's. */
  loadSnapshot<S>(): { ok: true; stored: StoredSnapshot<S> } | { ok: false; reason: string } {
    if (!existsSync(this.snapshotFile)) return { ok: false, reason: 'no snapshot' };
    let stored: StoredSnapshot<S>;
    try { stored = JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as StoredSnapshot<S>; } catch { return { ok: false, reason: 'snapshot unparsable' }; }
    const { hash, ...body } = stored;
    if (!hash || createHash('sha256').update(canonicalJson(body)).digest('hex') !== hash) return { ok: false, reason: 'snapshot checksum mismatch' };
    return { ok: true, stored };
  }

  close(): void {
    if (this.fd === null) return;
    try { fsyncSync(this.fd); } catch { /* closing anyway */ }
    closeSync(this.fd);
    this.fd = null;
  }
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try { fd = openSync(dir, 'r'); fsyncSync(fd); } catch { /* some filesystems refuse directory fsync */ } finally { if (fd !== null) closeSync(fd); }
}
