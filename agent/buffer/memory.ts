/** Store-and-forward in memory: same semantics as the disk backend, lost on restart (new epoch). */
import { BaseBuffer, type Entry } from './base.js';
import { newEpoch, type BufferItem, type BufferOptions } from './types.js';

export class MemoryBuffer extends BaseBuffer {
  readonly epoch = newEpoch();

  constructor(opts: BufferOptions) { super(opts.maxBytes); }

  protected persistAdd(entry: Entry, item: BufferItem): void { entry.body = item.body; }
  protected persistRemove(): void { /* nothing to persist */ }
  protected readBody(entry: Entry): string { return entry.body!; }
  protected sizeOf(body: string): number { return Buffer.byteLength(body); }
}
