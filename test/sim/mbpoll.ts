/** Debian's mbpoll as an independent Modbus TCP client for conformance tests (spawned, async). */
import { execFile } from 'node:child_process';

export type MbTable = 'coil' | 'discrete' | 'input' | 'holding';
const TYPE: Record<MbTable, string> = { coil: '0', discrete: '1', input: '3', holding: '4' };

export interface MbResult { ok: boolean; values: number[]; error?: string; stdout: string }

/** Read `count` items from 0-based `address` with one poll; values are raw 16-bit words (or 0/1). */
export function mbpollRead(port: number, table: MbTable, address: number, count: number, opts: { unit?: number; timeoutS?: number } = {}): Promise<MbResult> {
  const args = ['-m', 'tcp', '-a', String(opts.unit ?? 1), '-0', '-1', '-r', String(address), '-c', String(count), '-t', TYPE[table], '-o', String(opts.timeoutS ?? 1), '-p', String(port), '127.0.0.1'];
  return run(args, (out) => {
    const values: number[] = [];
    for (const m of out.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) values.push(Number(m[2]));
    return values;
  });
}

/** Write one coil (FC5) or holding register (FC6). */
export function mbpollWrite(port: number, table: 'coil' | 'holding', address: number, value: number, opts: { unit?: number } = {}): Promise<MbResult> {
  const args = ['-m', 'tcp', '-a', String(opts.unit ?? 1), '-0', '-r', String(address), '-t', TYPE[table], '-o', '1', '-p', String(port), '127.0.0.1', String(value)];
  return run(args, () => []);
}

function run(args: string[], parse: (out: string) => number[]): Promise<MbResult> {
  return new Promise((resolve) => {
    execFile('mbpoll', args, { encoding: 'utf8', timeout: 15_000 }, (err, stdout, stderr) => {
      const text = `${stdout}\n${stderr}`;
      const failed = /failed|error|Illegal|timed out/i.test(text) || (err !== null && !/Written/.test(text));
      const line = text.split('\n').find((l) => /failed|Illegal|timed out|error/i.test(l))?.trim();
      resolve({ ok: !failed, values: failed ? [] : parse(stdout), stdout: text, ...(failed ? { error: line ?? err?.message ?? 'mbpoll failed' } : {}) });
    });
  });
}
