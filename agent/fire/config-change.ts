/**
 * FS-36 configuration change control for the fire runtime: a new fire configuration is validated
 * (schema bounds and the semantic checks), needs an admin and a reason, and applies only while no
 * zone is above idle/watch (stage < 0); otherwise it is deferred — kept on disk and journaled — and
 * applied once every zone is back to idle after its reset. The configuration in effect is kept on
 * disk too, so an agent restarted with an edited config file in the middle of an incident keeps
 * running the zones on the configuration they started the incident with.
 */
import { Value } from '@sinclair/typebox/value';
import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../lib/command-signing.js';
import type { Role } from '../../lib/mqtt-contract.js';

type Actor = { user: string; role: Role };
import { FireConfig, fireOrderProblems } from './config-schema.js';
import { JOURNAL_FILE, verifyJournalFile } from './journal.js';
import { configHashOf } from './zone-runtime.js';

export type ConfigSource = 'command' | 'restart';

export interface PendingConfig {
  hash: string;
  fire: FireConfig;
  actors: Actor[];
  reason: string;
  requestedAt: number;
  source: ConfigSource;
}

export interface EffectiveConfig { hash: string; fire: FireConfig; appliedAt: number }

export const fireConfigHash = (fire: FireConfig): string => configHashOf(canonicalJson(fire));

/** Schema (with defaults) and semantic checks of a fire section; problems as `key.path: message`. */
export function checkFireSection(raw: unknown): { ok: true; fire: FireConfig } | { ok: false; problems: string[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problems: ['fire: must be an object (the `fire` section of the agent config)'] };
  const fire = Value.Default(FireConfig, structuredClone(raw)) as FireConfig;
  const problems: string[] = [];
  if (!Value.Check(FireConfig, fire)) {
    for (const e of [...Value.Errors(FireConfig, fire)].slice(0, 10)) problems.push(`fire${e.path.replace(/\//g, '.')}: ${e.message}`);
    return { ok: false, problems };
  }
  for (const p of fireOrderProblems(fire)) problems.push(`fire.${p.path.join('.')}: ${p.message}`);
  return problems.length ? { ok: false, problems } : { ok: true, fire };
}

/** The last stage a zone's journal recorded (write-ahead: newer than any snapshot); -1 without one. */
export function journaledStage(journalDir: string, zone: string): number {
  const file = join(journalDir, 'zones', zone, JOURNAL_FILE);
  if (!existsSync(file)) return -1;
  const records = verifyJournalFile(file).records;
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.type === 'transition') return Number(records[i]!.data.stage);
  return -1;
}

/** Effective and pending configuration files beside the site journal (written atomically). */
export class ConfigChangeStore {
  private readonly effectiveFile: string;
  private readonly pendingFile: string;
  constructor(private readonly dir: string) {
    this.effectiveFile = join(dir, 'config.effective.json');
    this.pendingFile = join(dir, 'config.pending.json');
  }

  effective(): EffectiveConfig | null { return this.read<EffectiveConfig>(this.effectiveFile); }
  pending(): PendingConfig | null { return this.read<PendingConfig>(this.pendingFile); }
  saveEffective(e: EffectiveConfig): void { this.write(this.effectiveFile, e); }
  savePending(p: PendingConfig): void { this.write(this.pendingFile, p); }
  clearPending(): void { rmSync(this.pendingFile, { force: true }); }

  private read<T>(file: string): T | null {
    if (!existsSync(file)) return null;
    try { return JSON.parse(readFileSync(file, 'utf8')) as T; } catch { return null; }
  }

  private write(file: string, body: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try { writeSync(fd, `${JSON.stringify(body, null, 2)}\n`); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, file);
  }
}
