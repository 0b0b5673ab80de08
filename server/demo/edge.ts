/**
 * Start and stop the demo's edge child process (server/demo/edge-main.ts): its config is written
 * to a JSON file in the data dir, `READY {...}` on stdout says it is up; `stop()` sends SIGTERM
 * and waits for the exit (SIGKILL after 10 s). The child also stops when this process goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FireHostConfig } from '../../agent/fire/host.js';

export interface EdgeConfig { agent: Record<string, unknown>; baseDir: string; fire: FireHostConfig; logLevel?: string }
export interface EdgeProcess { pid: number; healthPort: number; devices: number; zones: string[]; stop(): Promise<void> }

export class EdgeStartError extends Error { constructor(m: string) { super(m); this.name = 'EdgeStartError'; } }

export async function startEdge(cfg: EdgeConfig, file: string, timeoutMs = 60_000): Promise<EdgeProcess> {
  writeFileSync(file, JSON.stringify(cfg, null, 2), { mode: 0o600 });
  const main = fileURLToPath(new URL('./edge-main.ts', import.meta.url));
  // `--import tsx` resolves from the working directory: run the child in the repository root.
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main, file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let errTail = '';
  child.stderr!.on('data', (chunk: Buffer) => { process.stderr.write(chunk); errTail = (errTail + chunk.toString('utf8')).slice(-2000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<{ pid: number; healthPort: number; devices: number; zones: string[] }>((resolve, reject) => {
    let buf = '';
    let seen = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new EdgeStartError(`edge process not ready after ${timeoutMs} ms`)); }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      seen = (seen + chunk.toString('utf8')).slice(-100_000);
      const m = /^READY (.*)$/m.exec(seen);
      if (m) { clearTimeout(timer); resolve(JSON.parse(m[1]!)); }
      // Everything else the edge says (its log lines) goes to our stderr.
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (!l.startsWith('READY ')) process.stderr.write(`${l}\n`);
    });
    void exited.then((code) => { clearTimeout(timer); reject(new EdgeStartError(`edge process exited with code ${code} before it was ready:\n${errTail.trim().split('\n').slice(-8).join('\n')}`)); });
  });
  let stopping: Promise<void> | null = null;
  return {
    ...ready,
    stop: () => (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    })()),
  };
}
