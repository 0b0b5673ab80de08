/**
 * Signing of edge commands (FS-32): HMAC-SHA256 over a canonical JSON form (keys sorted),
 * with a key shared between the server and one agent. The edge verifies signature, freshness,
 * expiry (≤ 10 s) and per-issuer sequence before anything else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EdgeCommand } from './mqtt-contract.js';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function commandSignature(cmd: Omit<EdgeCommand, 'sig'>, key: string): string {
  const { sig: _ignored, ...rest } = cmd as EdgeCommand;
  return createHmac('sha256', key).update(canonicalJson(rest)).digest('hex');
}

export function signCommand(cmd: Omit<EdgeCommand, 'sig'>, key: string): EdgeCommand {
  return { ...cmd, sig: commandSignature(cmd, key) } as EdgeCommand;
}

export type CommandRejection =
  | 'bad_signature' | 'expired' | 'not_yet_valid' | 'expiry_too_long' | 'replayed';

/** Maximum lifetime of a command (FS-32). */
export const MAX_COMMAND_TTL_MS = 10_000;

/**
 * Verify a command against the key, the clock and the last sequence seen from its issuer.
 * Returns null when acceptable; the caller records `seq` as the issuer's new high-water mark.
 */
export function verifyCommand(
  cmd: EdgeCommand,
  key: string,
  nowMs: number,
  lastSeqByIssuer: ReadonlyMap<string, number>,
  clockSkewMs = 2_000,
): CommandRejection | null {
  const expected = Buffer.from(commandSignature(cmd, key), 'hex');
  const got = Buffer.from(cmd.sig, 'hex');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 'bad_signature';
  if (cmd.expiresAt - cmd.issuedAt > MAX_COMMAND_TTL_MS) return 'expiry_too_long';
  if (cmd.issuedAt > nowMs + clockSkewMs) return 'not_yet_valid';
  if (nowMs > cmd.expiresAt) return 'expired';
  const last = lastSeqByIssuer.get(cmd.issuer) ?? 0;
  if (cmd.seq <= last) return 'replayed';
  return null;
}
