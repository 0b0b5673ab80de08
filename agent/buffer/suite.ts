/**
 * The one test suite every store-and-forward backend passes (after Telegraf's
 * models/buffer_suite_test.go). `make` builds a fresh buffer; `reopen` (persistent backends only)
 * closes it and opens the same store again, as after an agent restart.
 */
import { describe, expect, it } from 'vitest';
import type { BufferItem, StoreBuffer, Stream } from './types.js';

export interface SuiteHooks {
  make(opts: { maxBytes: number }): StoreBuffer;
  /** Persistent backends: close and reopen the same store. */
  reopen?(b: StoreBuffer, opts: { maxBytes: number }): Promise<StoreBuffer>;
  /** Budget bytes one 100-character body takes in this backend. */
  itemSize: number;
  cleanup(): void;
}

export function body(stream: Stream, seq: number): string {
  return JSON.stringify({ s: stream, seq, pad: 'x'.repeat(100 - JSON.stringify({ s: stream, seq, pad: '' }).length) });
}

function addN(b: StoreBuffer, stream: Stream, n: number): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const seq = b.nextSeq(stream);
    b.add({ stream, seq, sentAt: 1_700_000_000_000 + seq, body: body(stream, seq) });
    seqs.push(seq);
  }
  return seqs;
}

const seqsOf = (items: readonly BufferItem[], s?: Stream) => items.filter((i) => !s || i.stream === s).map((i) => i.seq);

function drain(b: StoreBuffer): BufferItem[] {
  const out: BufferItem[] = [];
  while (b.len > 0) {
    const tx = b.begin(7);
    out.push(...tx.items);
    b.end(tx, true);
  }
  return out;
}

export function bufferSuite(name: string, hooks: SuiteHooks): void {
  describe(`store-and-forward buffer: ${name}`, () => {
    const big = { maxBytes: 1_000_000 };
    const withBuffer = async (opts: { maxBytes: number }, fn: (b: StoreBuffer) => Promise<StoreBuffer | void> | StoreBuffer | void) => {
      let b = hooks.make(opts);
      try { b = (await fn(b)) ?? b; } finally { await b.close(); hooks.cleanup(); }
    };

    it('allocates sequence numbers per stream, from 1, one by one', () => withBuffer(big, (b) => {
      expect([b.nextSeq('telemetry'), b.nextSeq('telemetry'), b.nextSeq('event'), b.nextSeq('telemetry')]).toEqual([1, 2, 1, 3]);
      expect(b.epoch).toMatch(/.+/);
    }));

    it('delivers in order, events first, and an accepted transaction removes its items', () => withBuffer(big, (b) => {
      addN(b, 'telemetry', 5);
      addN(b, 'event', 2);
      expect(b.len).toBe(7);
      const tx = b.begin(4);
      expect(tx.items.map((i) => `${i.stream[0]}${i.seq}`)).toEqual(['e1', 'e2', 't1', 't2']);
      expect(tx.items[2]!.body).toBe(body('telemetry', 1));
      expect(tx.items[2]!.sentAt).toBe(1_700_000_000_001);
      b.end(tx, true);
      expect(b.len).toBe(3);
      expect(seqsOf(drain(b))).toEqual([3, 4, 5]);
      expect(b.len).toBe(0);
      expect(b.bytes).toBe(0);
    }));

    it('a rejected transaction is requeued at the head, in order, and marked historical', () => withBuffer(big, (b) => {
      addN(b, 'telemetry', 6);
      const tx = b.begin(3);
      expect(tx.items.every((i) => !i.historical)).toBe(true);
      addN(b, 'telemetry', 2);
      b.end(tx, false);
      expect(b.len).toBe(8);
      const again = b.begin(4);
      expect(seqsOf(again.items)).toEqual([1, 2, 3, 4]);
      expect(again.items.map((i) => i.historical)).toEqual([true, true, true, false]);
      b.end(again, true);
      expect(seqsOf(drain(b))).toEqual([5, 6, 7, 8]);
    }));

    it('a partly accepted transaction removes the delivered prefix and requeues the rest', () => withBuffer(big, (b) => {
      addN(b, 'event', 2);
      addN(b, 'telemetry', 3);
      const tx = b.begin(5);
      b.end(tx, 3);
      const rest = b.begin(10);
      expect(rest.items.map((i) => `${i.stream[0]}${i.seq}`)).toEqual(['t2', 't3']);
      b.end(rest, true);
    }));

    it('refuses a second open transaction and an unknown one', () => withBuffer(big, (b) => {
      addN(b, 'telemetry', 2);
      const tx = b.begin(1);
      expect(() => b.begin(1)).toThrow(/already open/);
      b.end(tx, true);
      expect(() => b.end(tx, true)).toThrow(/not the open one/);
    }));

    it('overflow drops the oldest telemetry and counts it', () => withBuffer({ maxBytes: hooks.itemSize * 10 }, (b) => {
      addN(b, 'telemetry', 25);
      expect(b.len).toBe(10);
      expect(b.stats().droppedTelemetry).toBe(15);
      expect(seqsOf(drain(b))).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    }));

    it('overflow never drops items of the open transaction; reject then keeps order', () => withBuffer({ maxBytes: hooks.itemSize * 5 }, (b) => {
      addN(b, 'telemetry', 5);
      const tx = b.begin(2);
      addN(b, 'telemetry', 4);
      expect(b.len).toBe(5);
      b.end(tx, false);
      expect(seqsOf(drain(b))).toEqual([1, 2, 7, 8, 9]);
      expect(b.stats().droppedTelemetry).toBe(4);
    }));

    it('events are never dropped: telemetry goes first, then events are kept over budget and counted', () => withBuffer({ maxBytes: hooks.itemSize * 4 }, (b) => {
      addN(b, 'telemetry', 3);
      addN(b, 'event', 6);
      expect(b.lenOf('telemetry')).toBe(0);
      expect(b.lenOf('event')).toBe(6);
      expect(b.stats().droppedTelemetry).toBe(3);
      expect(b.stats().eventsOverBudget).toBe(2);
      addN(b, 'telemetry', 1);
      expect(b.lenOf('telemetry')).toBe(0);
      expect(seqsOf(drain(b), 'event')).toEqual([1, 2, 3, 4, 5, 6]);
    }));

    if (hooks.reopen) {
      const reopen = hooks.reopen;
      it('a restart keeps queued items, their order, sequence numbers and epoch', () => withBuffer(big, async (b0) => {
        let b = b0;
        addN(b, 'telemetry', 5);
        addN(b, 'event', 3);
        const tx = b.begin(4);
        b.end(tx, true);
        const tx2 = b.begin(2);
        b.end(tx2, false);
        const epoch = b.epoch;
        b = await reopen(b, big);
        expect(b.epoch).toBe(epoch);
        expect(b.len).toBe(4);
        expect(b.nextSeq('telemetry')).toBe(6);
        expect(b.nextSeq('event')).toBe(4);
        const items = drain(b);
        expect(items.map((i) => `${i.stream[0]}${i.seq}`)).toEqual(['t2', 't3', 't4', 't5']);
        expect(items.every((i) => i.historical)).toBe(true);
        expect(items[0]!.body).toBe(body('telemetry', 2));
        expect(items[0]!.sentAt).toBe(1_700_000_000_002);
        b = await reopen(b, big);
        expect(b.len).toBe(0);
        expect(b.nextSeq('telemetry')).toBe(7);
        expect(b.nextSeq('event')).toBe(5);
        return b;
      }));

      it('a restart forgets dropped telemetry and keeps the rest', () => withBuffer({ maxBytes: hooks.itemSize * 3 }, async (b0) => {
        addN(b0, 'telemetry', 7);
        const b = await reopen(b0, { maxBytes: hooks.itemSize * 3 });
        expect(seqsOf(drain(b))).toEqual([5, 6, 7]);
        return b;
      }));
    } else {
      it('is volatile: a new buffer has a new epoch', () => withBuffer(big, (b) => {
        const other = hooks.make(big);
        expect(other.epoch).not.toBe(b.epoch);
        void other.close();
      }));
    }
  });
}
