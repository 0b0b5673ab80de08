/** Sorted, merged inclusive ranges of sequence numbers (the removed records of a disk stream). */
export type Range = [number, number];

export function addSeqs(ranges: Range[], seqs: number[]): Range[] {
  const all: Range[] = [...ranges];
  const sorted = [...seqs].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! <= sorted[j]! + 1) j++;
    all.push([sorted[i]!, sorted[j]!]);
    i = j + 1;
  }
  all.sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function contains(ranges: Range[], seq: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (seq < r[0]) hi = mid - 1;
    else if (seq > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Forget ranges entirely below `floor` (no record below it exists any more). */
export function prune(ranges: Range[], floor: number): Range[] {
  return ranges.filter((r) => r[1] >= floor);
}
