import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBuffer } from './disk.js';
import { MemoryBuffer } from './memory.js';
import { RECORD_OVERHEAD } from './record.js';
import { bufferSuite } from './suite.js';

bufferSuite('memory', {
  make: (o) => new MemoryBuffer(o),
  itemSize: 100,
  cleanup: () => {},
});

const dirs: string[] = [];
let current = '';
bufferSuite('disk', {
  make: (o) => {
    current = mkdtempSync(join(tmpdir(), 'dcim-buf-'));
    dirs.push(current);
    return DiskBuffer.open({ dir: current, maxBytes: o.maxBytes, segmentBytes: 512, fsync: 'never' });
  },
  reopen: async (b, o) => {
    await b.close();
    return DiskBuffer.open({ dir: current, maxBytes: o.maxBytes, segmentBytes: 512, fsync: 'never' });
  },
  itemSize: 100 + RECORD_OVERHEAD,
  cleanup: () => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); },
});
