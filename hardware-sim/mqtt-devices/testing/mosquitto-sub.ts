/**
 * Test helper: read MQTT messages with Debian's `mosquitto_sub` (an independent client), byte-exact.
 * Messages are printed as `MSG:<topic>|<hex payload>`; `-d` debug lines tell when the SUBACK came,
 * so a test publishes only once the subscription is in place.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const MOSQUITTO_SUB_BIN = process.env.MOSQUITTO_SUB_BIN ?? '/usr/bin/mosquitto_sub';

const STDBUF_BIN = '/usr/bin/stdbuf';

export interface SubMessage {
  topic: string;
  payload: Buffer;
}

export interface MosquittoSub {
  /** Resolves when the broker acknowledged the subscription. */
  ready: Promise<void>;
  /** Resolves with the messages received when mosquitto_sub exits (after -C count or -W timeout). */
  done: Promise<SubMessage[]>;
  kill(): void;
}

export function mosquittoSub(opts: { port: number; topics: string[]; count: number; timeoutS?: number }): MosquittoSub {
  const args = ['-h', '127.0.0.1', '-p', String(opts.port), '-C', String(opts.count), '-W', String(opts.timeoutS ?? 15), '-d', '-F', 'MSG:%t|%x'];
  for (const t of opts.topics) args.push('-t', t);
  // mosquitto_sub block-buffers stdout into a pipe; stdbuf (coreutils) makes it line-buffered so
  // the SUBACK line arrives when it happens, not at exit.
  const child = existsSync(STDBUF_BIN)
    ? spawn(STDBUF_BIN, ['-oL', MOSQUITTO_SUB_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(MOSQUITTO_SUB_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => { readyResolve = r; });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (/received SUBACK/i.test(out)) readyResolve();
  });
  const done = new Promise<SubMessage[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => {
      readyResolve();
      const msgs: SubMessage[] = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('MSG:')) continue;
        const bar = line.lastIndexOf('|');
        msgs.push({ topic: line.slice(4, bar), payload: Buffer.from(line.slice(bar + 1).trim(), 'hex') });
      }
      resolve(msgs);
    });
  });
  return { ready, done, kill: () => { if (child.exitCode === null) child.kill('SIGTERM'); } };
}
