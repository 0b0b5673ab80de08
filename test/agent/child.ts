/** Run `node bin/dcim.mjs agent --config FILE` as a child process and wait for its READY line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/dcim.mjs', import.meta.url));

export interface AgentChild {
  proc: ChildProcess;
  healthPort: number;
  epoch: string;
  stderr: () => string;
  /** SIGTERM and wait for exit (graceful: the agent flushes). */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  metric(name: string): Promise<number>;
}

export async function startAgentChild(config: string, timeoutMs = 30_000): Promise<AgentChild> {
  const proc = spawn(process.execPath, [BIN, 'agent', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DCIM_LOG_LEVEL: 'warn' } });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 100_000) err = err.slice(-50_000); });
  const ready = await new Promise<{ healthPort: number; epoch: string }>((resolve, reject) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`agent not READY in ${timeoutMs} ms: ${err.slice(-2000)}`)); }, timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY (.*)$/m.exec(out);
      if (m) { clearTimeout(t); resolve(JSON.parse(m[1]!)); }
    });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`agent exited ${code} before READY: ${err.slice(-2000)}`)); });
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc, ...ready,
    stderr: () => err,
    async stop() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); return exited; },
    async kill() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); await exited; },
    async metric(name: string) {
      const text = await (await fetch(`http://127.0.0.1:${ready.healthPort}/metrics`)).text();
      const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    },
  };
}
