/**
 * Command intake at the edge (FS-32, FS-23, FS-27): commands arrive over MQTT
 * (`dcim/v1/{site}/{agent}/cmd`) from a server, or from the local `dcim fire` CLI when the server
 * is gone. Each one is, in order:
 *   1. shape-checked against lib/mqtt-contract.ts EdgeCommand;
 *   2. verified: HMAC signature with this agent's key (the local CLI signs with the local key),
 *      expiry ≤ 10 s, not expired, not from the future, `seq` above the issuer's high-water mark
 *      (lib/command-signing.ts);
 *   3. the issuer's new high-water mark is persisted (fsync) BEFORE the command acts, so a replay
 *      after a crash is still rejected;
 *   4. journaled (accepted or rejected, with actors and reason);
 *   5. dispatched to the zone runtime, whose guards decide (authority, reset preconditions, ...);
 *   6. answered with a CommandResult (`cmd/result`).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { verifyCommand } from '../../lib/command-signing.js';
import { EdgeCommand, type CommandResult } from '../../lib/mqtt-contract.js';
import type { Clock } from '../drivers/types.js';
import type { Logger } from '../../lib/log.js';

export interface DispatchResult {
  ok: boolean;
  status: 'done' | 'accepted' | 'rejected' | 'failed';
  reason?: string;
  data?: Record<string, unknown>;
}

export interface CommandIntakeOptions {
  /** Verification keys by issuer; `*` applies to any issuer not listed (the server's per-agent key). */
  keys: Record<string, string>;
  /** Where the per-issuer high-water marks are persisted. */
  seqFile: string;
  clock: Clock;
  /** Journal a command decision (site journal, and the zone's when the command names one). */
  journal: (type: 'command.accepted' | 'command.rejected' | 'command.result', data: Record<string, unknown>, zone?: string) => void;
  dispatch: (cmd: EdgeCommand, source: CommandSource) => Promise<DispatchResult>;
  publishResult?: (r: CommandResult) => void;
  clockSkewMs?: number;
  log?: Logger;
}

export type CommandSource = 'mqtt' | 'local';

export class CommandIntake {
  private hwm = new Map<string, number>();
  private rejectedCount = 0;

  constructor(private readonly o: CommandIntakeOptions) {}

  /** Load the persisted high-water marks. A corrupt file is a typed error: the operator must look. */
  start(): void {
    if (!existsSync(this.o.seqFile)) return;
    let parsed: unknown;
    try { parsed = JSON.parse(readFileSync(this.o.seqFile, 'utf8')); } catch (err) {
      throw new Error(`command sequence file ${this.o.seqFile} is unreadable (${(err as Error).message}); restore it from backup or remove it deliberately (replays of old commands would then be accepted until they expire)`);
    }
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === 'number') this.hwm.set(k, v);
  }

  highWaterMarks(): Record<string, number> { return Object.fromEntries(this.hwm); }
  rejected(): number { return this.rejectedCount; }

  /** Handle one raw command (parsed JSON or a Buffer from MQTT). Never throws. */
  async handle(raw: unknown, source: CommandSource): Promise<CommandResult> {
    const now = this.o.clock.now();
    let cmd: unknown = raw;
    if (Buffer.isBuffer(raw) || typeof raw === 'string') {
      try { cmd = JSON.parse(raw.toString()); } catch { return this.reject(undefined, 'malformed: not JSON', source); }
    }
    if (!Value.Check(EdgeCommand, cmd)) {
      const first = [...Value.Errors(EdgeCommand, cmd)][0];
      const id = typeof (cmd as { id?: unknown })?.id === 'string' ? (cmd as { id: string }).id : undefined;
      return this.reject(id, `malformed: ${first ? `${first.path || '/'} ${first.message}` : 'not a command'}`, source);
    }
    const c = cmd as EdgeCommand;
    const key = this.o.keys[c.issuer] ?? this.o.keys['*'];
    if (!key) return this.reject(c.id, `unknown issuer '${c.issuer}'`, source, c);
    const why = verifyCommand(c, key, now, this.hwm, this.o.clockSkewMs);
    if (why) return this.reject(c.id, why, source, c);
    this.hwm.set(c.issuer, c.seq);
    this.persist();
    this.o.journal('command.accepted', { ...summary(c), source }, c.zone);
    this.o.publishResult?.({ v: 1, id: c.id, ok: true, status: 'accepted', ts: now });
    let res: DispatchResult;
    try {
      res = await this.o.dispatch(c, source);
    } catch (err) {
      res = { ok: false, status: 'failed', reason: `dispatch error: ${(err as Error).message}` };
    }
    this.o.journal('command.result', { id: c.id, kind: c.kind, ...res }, c.zone);
    const result: CommandResult = { v: 1, id: c.id, ok: res.ok, status: res.status, ts: this.o.clock.now() };
    if (res.reason) result.reason = res.reason.slice(0, 1000);
    if (res.data) result.data = res.data;
    this.o.publishResult?.(result);
    return result;
  }

  private reject(id: string | undefined, reason: string, source: CommandSource, c?: EdgeCommand): CommandResult {
    this.rejectedCount++;
    this.o.journal('command.rejected', { ...(c ? summary(c) : { id: id ?? null }), source, reason }, c?.zone);
    this.o.log?.warn({ id, reason, source }, 'fire command rejected');
    const r: CommandResult = { v: 1, id: id ?? 'unknown', ok: false, status: 'rejected', reason, ts: this.o.clock.now() };
    this.o.publishResult?.(r);
    return r;
  }

  private persist(): void {
    mkdirSync(dirname(this.o.seqFile), { recursive: true });
    const tmp = `${this.o.seqFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try { writeSync(fd, JSON.stringify(Object.fromEntries(this.hwm))); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, this.o.seqFile);
  }
}

function summary(c: EdgeCommand): Record<string, unknown> {
  return {
    id: c.id, kind: c.kind, zone: c.zone ?? null, target: c.target ?? null, args: c.args ?? null, actors: c.actors,
    reason: c.reason ?? null, issuer: c.issuer, seq: c.seq, issuedAt: c.issuedAt, expiresAt: c.expiresAt,
  };
}
