/** Store-and-forward buffers: pick a backend by config. */
import { DiskBuffer, type FsyncPolicy } from './disk.js';
import { MemoryBuffer } from './memory.js';
import type { StoreBuffer } from './types.js';

export * from './types.js';
export { DiskBuffer, MemoryBuffer, type FsyncPolicy };

export type BufferConfig =
  | { kind: 'memory'; maxBytes: number }
  | { kind: 'disk'; dir: string; maxBytes: number; segmentBytes?: number; fsync?: FsyncPolicy; fsyncIntervalMs?: number };

export function openBuffer(cfg: BufferConfig, onLost?: (reason: string) => void): StoreBuffer {
  return cfg.kind === 'memory' ? new MemoryBuffer(cfg) : DiskBuffer.open({ ...cfg, onLost });
}
