/**
 * The demo's edge child process (server/demo/edge-main.ts). `spawnEdge()` starts it at once, so
 * Node, tsx and the agent's modules load while the simulator starts; `configure(cfg)` then sends
 * its config over IPC (also written to a JSON file in the data dir, for inspection) and resolves
 * on `READY {...}`. `stop()` sends SIGTERM and waits for the exit (SIGKILL after 10 s). The child
 * also stops when this process goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FireHostConfig } from '../../agent/fire/host.js';

export interface EdgeConfig { agent: Record<string, unknown>; baseDir: string; fire: FireHostConfig; logLevel?: string }
export interface EdgeReady { pid: number; healthPort: number; devices: number; zones: string[] }
export interface EdgeProcess extends EdgeReady { stop(): Promise<void> }
export interface SpawnedEdge { configure(cfg: EdgeConfig, file: string, timeoutMs?: number): Promise<EdgeProcess>; stop(): Promise<void> }

export class EdgeStartError extends Error { constructor(m: string) { super(m); this.name = 'EdgeStartError'; } }

export function spawnEdge(): SpawnedEdge {
  const main = fileURLToPath(new URL('./edge-main.ts', import.meta.url));
  // `--import tsx` resolves from the working directory: run the child in the repository root.
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let errTail = '';
  child.stderr!.on('data', (chunk: Buffer) => { process.stderr.write(chunk); errTail = (errTail + chunk.toString('utf8')).slice(-2000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let buf = '';
  let onReady: ((r: EdgeReady) => void) | null = null;
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      if (l.startsWith('READY ')) onReady?.(JSON.parse(l.slice(6)) as EdgeReady);
      else process.stderr.write(`${l}\n`); // the edge's log lines
    }
  });
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  })());
  return {
    stop,
    async configure(cfg, file, timeoutMs = 60_000) {
      writeFileSync(file, JSON.stringify(cfg, null, 2), { mode: 0o600 });
      const ready = await new Promise<EdgeReady>((resolve, reject) => {
        const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new EdgeStartError(`edge process not ready after ${timeoutMs} ms`)); }, timeoutMs);
        onReady = (r) => { clearTimeout(timer); resolve(r); };
        void exited.then((code) => { clearTimeout(timer); reject(new EdgeStartError(`edge process exited with code ${code} before it was ready:\n${errTail.trim().split('\n').slice(-8).join('\n')}`)); });
        child.send({ config: cfg });
      });
      return { ...ready, stop };
    },
  };
}
