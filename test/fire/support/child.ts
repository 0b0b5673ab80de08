/**
 * The fire-only host as a child process (agent/fire/host-main.ts), for the SIGKILL suite and
 * drills. `HostPool` keeps one warm standby child (modules loaded, waiting for `GO`), so a
 * restart after a SIGKILL costs recovery time, not module loading.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FireHostConfig } from '../../../agent/fire/host.js';

export const HOST_MAIN = fileURLToPath(new URL('../../../agent/fire/host-main.ts', import.meta.url));

export interface HostChild {
  proc: ChildProcess;
  ready: Promise<{ pid: number; socket: string }>;
  exited: Promise<number | null>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function launch(args: string[]): { child: HostChild; loaded: Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', HOST_MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DCIM_LOG_LEVEL: 'error' } });
  let err = '';
  let out = '';
  proc.stderr!.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-4000); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let onLoaded!: () => void;
  const loaded = new Promise<void>((r) => { onLoaded = r; });
  const ready = new Promise<{ pid: number; socket: string }>((resolve, reject) => {
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('LOADED\n')) onLoaded();
      const m = /READY (\{.*\})\n/.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as { pid: number; socket: string });
    });
    void exited.then((code) => reject(new Error(`fire host exited (${String(code)}) before READY: ${err}`)));
  });
  ready.catch(() => {});
  const child: HostChild = {
    proc, ready, exited, stderr: () => err,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await exited;
    },
  };
  return { child, loaded };
}

/** Start a host child on a config (written to `cfgFile` when given). */
export function spawnHost(cfgFile: string, cfg?: FireHostConfig): HostChild {
  if (cfg) writeFileSync(cfgFile, JSON.stringify(cfg));
  return launch([cfgFile]).child;
}

export class HostPool {
  private standby: { child: HostChild; loaded: Promise<void> }[] = [];
  private all = new Set<HostChild>();

  constructor(private readonly size = 2) {}

  warm(): void {
    while (this.standby.length < this.size) {
      const s = launch(['--standby']);
      this.standby.push(s);
      this.all.add(s.child);
    }
  }

  /** Take a warm standby (the first loaded), start it on `cfgFile`, and warm the next. */
  async start(cfgFile: string): Promise<HostChild> {
    this.warm();
    const s = await Promise.race(this.standby.map((x) => x.loaded.then(() => x)));
    this.standby.splice(this.standby.indexOf(s), 1);
    s.child.proc.stdin!.write(`GO ${cfgFile}\n`);
    this.warm();
    return s.child;
  }

  async close(): Promise<void> {
    this.standby = [];
    await Promise.all([...this.all].map((c) => c.kill('SIGKILL')));
    this.all.clear();
  }
}
