/**
 * Store-and-forward behind a transactional buffer (STYLE.md lesson 12, after Telegraf
 * models/buffer.go): `add`, `begin(max) → tx`, `end(tx, accepted)`, `len`, `close()`.
 *
 * Two streams share one budget: `telemetry` (may be dropped, oldest first, counted) and `event`
 * (never dropped). Each stream has its own sequence numbers, allocated by the buffer and persisted
 * with it (`epoch` changes only when the store is lost). One transaction is open at a time; a
 * rejected transaction goes back to the head of its queue, so order is kept.
 */
export type Stream = 'telemetry' | 'event';
export const STREAMS: readonly Stream[] = ['event', 'telemetry'];

export interface BufferItem {
  stream: Stream;
  /** Sequence number in its stream (allocated by `nextSeq`). */
  seq: number;
  /** ms since epoch when the message was first made (kept on replay). */
  sentAt: number;
  /** The serialised message (JSON). */
  body: string;
  /** True when the item is replayed late: added while the link was down, requeued, or recovered. */
  historical?: boolean;
}

export interface Tx {
  readonly id: number;
  /** Events first (priority), then telemetry; each stream in sequence order. */
  readonly items: readonly BufferItem[];
}

export interface BufferStats {
  /** Telemetry items dropped to stay within the budget. */
  droppedTelemetry: number;
  /** Events kept although the budget was exhausted (events are never dropped). */
  eventsOverBudget: number;
  /** Disk only: records found damaged at open (torn tail, CRC mismatch) and discarded. */
  damagedRecords: number;
  /** Disk only: writes that failed (e.g. ENOSPC); such items are kept in memory only. */
  writeErrors: number;
}

export interface StoreBuffer {
  /** Identifies this store's sequence space; new when the store is created or lost. */
  readonly epoch: string;
  /** Allocate the next sequence number of a stream (persisted). */
  nextSeq(stream: Stream): number;
  /** Queue an item (its seq from nextSeq). May drop the oldest telemetry to stay within budget. */
  add(item: BufferItem): void;
  /** Take up to `max` items from the head (events first). Throws if a transaction is open. */
  begin(max: number): Tx;
  /**
   * Close a transaction. `true`: every item delivered, removed. `false`: none delivered, requeued at
   * the head in order. A number k: the first k items (in tx order) delivered, the rest requeued.
   */
  end(tx: Tx, accepted: boolean | number): void;
  /** Items queued (including those in an open transaction). */
  readonly len: number;
  lenOf(stream: Stream): number;
  /** Bytes counted against the budget. */
  readonly bytes: number;
  stats(): BufferStats;
  close(): Promise<void>;
}

export interface BufferOptions {
  /** Budget over both streams, bytes of serialised messages (disk: plus the record header). */
  maxBytes: number;
}

export class BufferStateError extends Error {
  constructor(message: string) { super(message); this.name = 'BufferStateError'; }
}

export class BufferOpenError extends Error {
  constructor(message: string) { super(message); this.name = 'BufferOpenError'; }
}

export function newEpoch(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
