/**
 * The queue logic shared by the memory and disk backends: two streams, one budget, one open
 * transaction, drop-oldest telemetry, events never dropped. Backends add persistence through the
 * protected hooks; this class does no I/O.
 */
import { Deque } from './deque.js';
import {
  BufferStateError, STREAMS, type BufferItem, type BufferStats, type StoreBuffer, type Stream, type Tx,
} from './types.js';

export interface Entry {
  stream: Stream;
  seq: number;
  sentAt: number;
  /** Bytes counted against the budget. */
  size: number;
  historical: boolean;
  /** Kept in memory (memory backend, or a disk write that failed); else read back by the backend. */
  body?: string;
}

interface OpenTx extends Tx { counts: Record<Stream, number> }

export abstract class BaseBuffer implements StoreBuffer {
  abstract readonly epoch: string;
  protected readonly queues: Record<Stream, Deque<Entry>> = { event: new Deque(), telemetry: new Deque() };
  protected seqs: Record<Stream, number> = { event: 1, telemetry: 1 };
  protected totalBytes = 0;
  protected readonly counters: BufferStats = { droppedTelemetry: 0, eventsOverBudget: 0, damagedRecords: 0, writeErrors: 0 };
  private open: OpenTx | null = null;
  private txIds = 0;
  protected closed = false;

  constructor(protected readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new BufferStateError(`buffer maxBytes must be > 0 (got ${maxBytes})`);
  }

  /** Persist a new entry; may set entry.body to keep it in memory. */
  protected abstract persistAdd(entry: Entry, item: BufferItem): void;
  /** Persist the removal of entries (delivered or dropped). */
  protected abstract persistRemove(removed: Entry[]): void;
  /** The serialised message of an entry. */
  protected abstract readBody(entry: Entry): string;
  /** Record size against the budget for a body of this length. */
  protected abstract sizeOf(body: string): number;

  nextSeq(stream: Stream): number {
    this.assertOpen();
    return this.seqs[stream]++;
  }

  add(item: BufferItem): void {
    this.assertOpen();
    if (item.seq >= this.seqs[item.stream]) this.seqs[item.stream] = item.seq + 1;
    const entry: Entry = { stream: item.stream, seq: item.seq, sentAt: item.sentAt, size: this.sizeOf(item.body), historical: item.historical === true };
    this.persistAdd(entry, item);
    this.queues[item.stream].push(entry);
    this.totalBytes += entry.size;
    this.enforceBudget(item.stream === 'event');
  }

  begin(max: number): Tx {
    this.assertOpen();
    if (this.open) throw new BufferStateError('a transaction is already open: end it before beginning another');
    const items: BufferItem[] = [];
    const counts: Record<Stream, number> = { event: 0, telemetry: 0 };
    for (const s of STREAMS) {
      const q = this.queues[s];
      while (items.length < max && counts[s] < q.length) {
        const e = q.at(counts[s])!;
        items.push({ stream: s, seq: e.seq, sentAt: e.sentAt, body: this.readBody(e), historical: e.historical });
        counts[s]++;
      }
    }
    this.open = { id: ++this.txIds, items, counts };
    return this.open;
  }

  end(tx: Tx, accepted: boolean | number): void {
    this.assertOpen();
    if (!this.open || this.open.id !== tx.id) throw new BufferStateError(`transaction ${tx.id} is not the open one`);
    const { counts } = this.open;
    this.open = null;
    let k = accepted === true ? tx.items.length : accepted === false ? 0 : Math.max(0, Math.min(tx.items.length, Math.floor(accepted)));
    const removed: Entry[] = [];
    for (const s of STREAMS) {
      const take = Math.min(k, counts[s]);
      k -= take;
      for (let i = 0; i < take; i++) removed.push(this.queues[s].shift()!);
      // Not delivered: back at the head, in order, replayed as historical.
      for (let i = 0; i < counts[s] - take; i++) this.queues[s].at(i)!.historical = true;
    }
    for (const e of removed) this.totalBytes -= e.size;
    if (removed.length) this.persistRemove(removed);
  }

  get len(): number { return this.queues.event.length + this.queues.telemetry.length; }
  lenOf(stream: Stream): number { return this.queues[stream].length; }
  get bytes(): number { return this.totalBytes; }
  stats(): BufferStats { return { ...this.counters }; }

  async close(): Promise<void> { this.closed = true; }

  /** Drop the oldest telemetry not in flight until within budget; events are kept regardless. */
  private enforceBudget(addedEvent: boolean): void {
    if (this.totalBytes <= this.maxBytes) return;
    const q = this.queues.telemetry;
    const skip = this.open?.counts.telemetry ?? 0;
    const removed: Entry[] = [];
    while (this.totalBytes > this.maxBytes && q.length > skip) {
      const e = q.removeAt(skip)!;
      this.totalBytes -= e.size;
      removed.push(e);
      this.counters.droppedTelemetry++;
    }
    if (removed.length) this.persistRemove(removed);
    if (this.totalBytes > this.maxBytes && addedEvent) this.counters.eventsOverBudget++;
  }

  protected assertOpen(): void {
    if (this.closed) throw new BufferStateError('buffer is closed');
  }
}
