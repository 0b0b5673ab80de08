/** A small array-backed deque: O(1) push/shift, removal near the head by shifting a few slots. */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number { return this.items.length - this.head; }

  push(x: T): void { this.items.push(x); }

  at(i: number): T | undefined { return this.items[this.head + i]; }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    this.compact();
    return x;
  }

  /** Remove the element at index i (meant for small i: shifts the i elements before it). */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const base = this.head;
    const x = this.items[base + i];
    for (let k = base + i; k > base; k--) this.items[k] = this.items[k - 1];
    this.items[this.head++] = undefined;
    this.compact();
    return x;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
