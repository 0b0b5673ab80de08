/**
 * Sequence tracking per (agent, stream, epoch) (R42): classifies each received seq as the next
 * one, a jump (gap of the seqs in between), a late arrival (a replay filling an earlier gap) or a
 * duplicate. Pure and bounded: it remembers the last `window` seqs of each key. Authoritative gap
 * records are computed from the stored batch records (Store.gaps), so replicas that each see
 * part of a stream still agree; this tracker drops duplicates and reports jumps as they happen.
 */
export type SeqVerdict =
  | { kind: 'first' }
  | { kind: 'next' }
  | { kind: 'gap'; fromSeq: number; toSeq: number }
  | { kind: 'late' }
  | { kind: 'duplicate' };

interface StreamState {
  highest: number;
  seen: Set<number>;
}

export class SequenceTracker {
  private readonly streams = new Map<string, StreamState>();

  constructor(private readonly window = 100_000) {}

  static key(site: string, agent: string, stream: string, epoch: string): string {
    return `${site}\u0000${agent}\u0000${stream}\u0000${epoch}`;
  }

  has(key: string): boolean {
    return this.streams.has(key);
  }

  /** Pre-load seqs already stored (after a restart, or written by another replica). */
  seed(key: string, seqs: Iterable<number>): void {
    let st = this.streams.get(key);
    if (!st) this.streams.set(key, (st = { highest: 0, seen: new Set() }));
    for (const s of seqs) {
      st.seen.add(s);
      if (s > st.highest) st.highest = s;
    }
    this.trim(st);
  }

  classify(key: string, seq: number): SeqVerdict {
    let st = this.streams.get(key);
    if (!st) {
      this.streams.set(key, (st = { highest: seq, seen: new Set([seq]) }));
      return { kind: 'first' };
    }
    if (st.seen.has(seq)) return { kind: 'duplicate' };
    st.seen.add(seq);
    let v: SeqVerdict;
    if (st.highest === 0 || seq === st.highest + 1) v = { kind: 'next' };
    else if (seq > st.highest + 1) v = { kind: 'gap', fromSeq: st.highest + 1, toSeq: seq - 1 };
    else v = { kind: 'late' };
    if (seq > st.highest) st.highest = seq;
    this.trim(st);
    return v;
  }

  /** Forget a message that was classified but could not be stored, so a redelivery is accepted. */
  forget(key: string, seq: number): void {
    this.streams.get(key)?.seen.delete(seq);
  }

  private trim(st: StreamState): void {
    if (st.seen.size <= this.window) return;
    const floor = st.highest - this.window;
    for (const s of st.seen) if (s <= floor) st.seen.delete(s);
  }
}
