/**
 * One agent per data folder: `<dataDir>/agent.lock` holds the owner's pid. A lock left by a
 * process that no longer runs (killed, crashed) is taken over; a live owner is an error.
 */
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`data folder ${dir} is in use by another agent (pid ${pid}); stop it or give this agent its own dataDir`);
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

export class DataDirLock {
  private constructor(private readonly file: string) {}

  static acquire(dir: string): DataDirLock {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'agent.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        let pid = NaN;
        try { pid = Number(readFileSync(file, 'utf8').trim()); } catch { /* vanished meanwhile */ }
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new DataDirLockedError(dir, pid);
        try { unlinkSync(file); } catch { /* raced with another taker */ }
      }
    }
    throw new DataDirLockedError(dir, NaN);
  }

  release(): void {
    try { unlinkSync(this.file); } catch { /* already gone */ }
  }
}
