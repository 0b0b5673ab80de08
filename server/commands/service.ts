/**
 * Commands to the edge (FS-32): each operator action becomes an EdgeCommand signed with the
 * agent's key (lib/command-signing.ts), with a 10 s expiry and the next per-issuer sequence
 * number (persisted in records.command_seq BEFORE publishing, so a restart never reuses one),
 * published QoS 1 on dcim/v1/{site}/{agent}/cmd. The edge verifies and answers on cmd/result;
 * results update the record and are published on the bus. Resets that need two people wait
 * for a second, different operator to confirm.
 */
import { randomUUID } from 'node:crypto';
import { signCommand, MAX_COMMAND_TTL_MS } from '../../lib/command-signing.js';
import { topic, type CommandKind, type CommandResult, type EdgeCommand, type Role } from '../../lib/mqtt-contract.js';
import type { Repos } from '../records/repos.js';
import type { Bus } from '../stream/bus.js';
import type { Logger } from '../../lib/log.js';

export interface CommandRecord {
  id: string; kind: CommandKind; site: string; agent: string; zone?: string; target?: string; args?: Record<string, unknown>;
  actors: { user: string; role: Role }[]; reason?: string; issuedAt: number; expiresAt: number; issuer: string; seq: number;
  status: 'sent' | 'accepted' | 'rejected' | 'done' | 'failed' | 'publish-failed';
  results: CommandResult[]; alarmId?: string; updatedAt: number;
}

export interface PendingReset {
  id: string; site: string; agent: string; zone: string; target?: string; reason: string;
  requestedBy: { user: string; role: Role }; createdAt: number; expiresAt: number;
}

export interface Publisher { publish(topic: string, payload: string): Promise<void> }

export class CommandError extends Error {
  constructor(message: string, readonly status: 400 | 403 | 404 | 409 | 503) { super(message); this.name = 'CommandError'; }
}

export interface CommandOptions { now: () => number; issuer: string; keyFor: (agent: string) => string | undefined; ttlMs?: number; pendingTtlMs?: number }

export class CommandService {
  private readonly commands = new Map<string, CommandRecord>();
  private readonly pending = new Map<string, PendingReset>();
  private readonly waiters = new Map<string, Set<() => void>>();
  publisher: Publisher | null = null;
  readonly stats = { sent: 0, results: 0, unknownResults: 0 };

  constructor(private readonly repos: Repos, private readonly bus: Bus, private readonly log: Logger, private readonly o: CommandOptions) {}

  async load(): Promise<void> {
    for (const c of await this.repos.getDocs<CommandRecord>('command')) this.commands.set(c.id, c);
    for (const p of await this.repos.getDocs<PendingReset>('pending-reset')) if (p.expiresAt > this.o.now()) this.pending.set(p.id, p);
  }

  private save(c: CommandRecord, change: string): CommandRecord {
    this.commands.set(c.id, c);
    void this.repos.putDoc('command', c.id, c, this.o.now()).catch((err: Error) => this.log.error({ err }, 'command write failed'));
    this.bus.emit('command', this.o.now(), { change, command: c as unknown as Record<string, unknown> });
    for (const w of this.waiters.get(c.id) ?? []) w();
    return c;
  }

  async issue(r: { kind: CommandKind; site: string; agent: string; zone?: string; target?: string; args?: Record<string, unknown>;
    actors: { user: string; role: Role }[]; reason?: string; alarmId?: string }): Promise<CommandRecord> {
    const key = this.o.keyFor(r.agent);
    if (!key) throw new CommandError(`no command key configured for agent '${r.agent}' (server config agents[].key)`, 409);
    if (!this.publisher) throw new CommandError('not connected to the MQTT broker: command not sent', 503);
    const seq = await this.repos.nextCommandSeq(this.o.issuer);
    const issuedAt = this.o.now();
    const unsigned: Omit<EdgeCommand, 'sig'> = {
      v: 1, id: randomUUID(), kind: r.kind, actors: r.actors, issuedAt, expiresAt: issuedAt + Math.min(this.o.ttlMs ?? MAX_COMMAND_TTL_MS, MAX_COMMAND_TTL_MS),
      issuer: this.o.issuer, seq,
      ...(r.zone ? { zone: r.zone } : {}), ...(r.target ? { target: r.target } : {}), ...(r.args ? { args: r.args } : {}), ...(r.reason ? { reason: r.reason } : {}),
    };
    const cmd = signCommand(unsigned, key);
    const rec: CommandRecord = { id: cmd.id, kind: r.kind, site: r.site, agent: r.agent, zone: r.zone, target: r.target, args: r.args, actors: r.actors, reason: r.reason,
      issuedAt, expiresAt: cmd.expiresAt, issuer: cmd.issuer, seq, status: 'sent', results: [], alarmId: r.alarmId, updatedAt: issuedAt };
    try {
      await this.publisher.publish(topic(r.site, r.agent, 'cmd'), JSON.stringify(cmd));
      this.stats.sent++;
      return this.save(rec, 'sent');
    } catch (err) {
      this.save({ ...rec, status: 'publish-failed', updatedAt: this.o.now() }, 'publish-failed');
      throw new CommandError(`publishing the command failed: ${(err as Error).message}`, 503);
    }
  }

  /** A CommandResult from the edge. Unknown ids (another replica's, or forged) are counted and ignored. */
  onResult(res: CommandResult): CommandRecord | undefined {
    const c = this.commands.get(res.id);
    if (!c) { this.stats.unknownResults++; return undefined; }
    this.stats.results++;
    return this.save({ ...c, status: res.status as CommandRecord['status'], results: [...c.results, res], updatedAt: this.o.now() }, 'result');
  }

  get(id: string): CommandRecord | undefined { return this.commands.get(id); }
  list(limit = 100): CommandRecord[] { return [...this.commands.values()].sort((a, b) => b.issuedAt - a.issuedAt).slice(0, limit); }

  /** Wait until the command has a final result (done, rejected, failed) or the timeout passes; returns the record. */
  async wait(id: string, ms: number): Promise<CommandRecord | undefined> {
    const done = () => { const c = this.commands.get(id); return !c || (c.status !== 'sent' && c.status !== 'accepted'); };
    if (done() || ms <= 0) return this.commands.get(id);
    await new Promise<void>((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      const fire = () => { if (done()) { clearTimeout(t); set.delete(fire); resolve(); } };
      const t = setTimeout(() => { set.delete(fire); resolve(); }, ms);
      set.add(fire);
      this.waiters.set(id, set);
    });
    return this.commands.get(id);
  }

  // Two-person resets
  requestReset(p: Omit<PendingReset, 'id' | 'createdAt' | 'expiresAt'>): PendingReset {
    const now = this.o.now();
    const rec: PendingReset = { ...p, id: randomUUID(), createdAt: now, expiresAt: now + (this.o.pendingTtlMs ?? 300_000) };
    this.pending.set(rec.id, rec);
    void this.repos.putDoc('pending-reset', rec.id, rec, now).catch(() => undefined);
    this.bus.emit('command', now, { change: 'reset-pending', pending: rec as unknown as Record<string, unknown> });
    return rec;
  }

  async confirmReset(id: string, second: { user: string; role: Role }): Promise<CommandRecord> {
    const p = this.pending.get(id);
    if (!p || p.expiresAt <= this.o.now()) { this.pending.delete(id); throw new CommandError(`no pending reset '${id}' (expired or unknown)`, 404); }
    if (p.requestedBy.user === second.user) throw new CommandError('the second operator must be a different person from the one who requested the reset', 409);
    this.pending.delete(id);
    void this.repos.putDoc('pending-reset', id, { ...p, expiresAt: 0 }, this.o.now()).catch(() => undefined);
    return this.issue({ kind: 'reset', site: p.site, agent: p.agent, zone: p.zone, target: p.target, reason: p.reason, actors: [p.requestedBy, second] });
  }

  listPending(): PendingReset[] { const now = this.o.now(); return [...this.pending.values()].filter((p) => p.expiresAt > now); }
}
