/**
 * Users, API tokens and console sessions. Passwords are scrypt hashes; tokens and session ids
 * are 32 random bytes, stored only as SHA-256 (they are high-entropy, so a fast hash is enough
 * and lets every request be checked cheaply). Tokens read `dcim_<id>.<secret>`.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Repos } from '../records/repos.js';
import type { Role } from '../../lib/mqtt-contract.js';
import type { Principal } from './roles.js';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class AuthError extends Error {
  constructor(message: string, readonly status: 400 | 401 | 403 | 404 | 409) { super(message); this.name = 'AuthError'; }
}

export interface AuthOptions { scryptCost: number; sessionTtlMs: number; now: () => number }

/** A dummy hash to verify against when the user does not exist, so timing does not reveal usernames. */
let dummyHash: Promise<string> | null = null;

export class AuthService {
  constructor(private readonly repos: Repos, private readonly opts: AuthOptions) {}

  async createUser(username: string, role: Role, password: string): Promise<{ id: string }> {
    const problem = passwordProblem(password);
    if (problem) throw new AuthError(problem, 400);
    if (await this.repos.userByName(username)) throw new AuthError(`user '${username}' exists`, 409);
    const id = randomUUID();
    await this.repos.insertUser({ id, username, role, pw_hash: await hashPassword(password, this.opts.scryptCost), created_at: this.opts.now(), disabled: false });
    return { id };
  }

  /** First run: when no user exists, create `admin` with a generated password and return it (shown once). */
  async ensureFirstAdmin(username = 'admin'): Promise<{ username: string; password: string } | null> {
    if ((await this.repos.userCount()) > 0) return null;
    const password = generatePassword();
    await this.createUser(username, 'admin', password);
    return { username, password };
  }

  async setPassword(userId: string, password: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new AuthError(problem, 400);
    await this.repos.updateUser(userId, { pw_hash: await hashPassword(password, this.opts.scryptCost) });
  }

  async verifyLogin(username: string, password: string): Promise<Principal | null> {
    const u = await this.repos.userByName(username);
    if (!u || u.disabled) {
      dummyHash ??= hashPassword('not-a-password', this.opts.scryptCost);
      await verifyPassword(password, await dummyHash);
      return null;
    }
    if (!(await verifyPassword(password, u.pw_hash))) return null;
    return { userId: u.id, username: u.username, role: u.role, via: 'session' };
  }

  async createSession(userId: string): Promise<{ sid: string; expiresAt: number }> {
    const sid = randomBytes(32).toString('base64url');
    const now = this.opts.now();
    const expiresAt = now + this.opts.sessionTtlMs;
    await this.repos.insertSession(sha256(sid), userId, now, expiresAt);
    return { sid, expiresAt };
  }

  async resolveSession(sid: string): Promise<Principal | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(sid)) return null;
    const s = await this.repos.sessionByHash(sha256(sid));
    if (!s || s.expires_at < this.opts.now()) return null;
    const u = await this.repos.userById(s.user_id);
    if (!u || u.disabled) return null;
    return { userId: u.id, username: u.username, role: u.role, via: 'session' };
  }

  endSession(sid: string): Promise<void> { return this.repos.deleteSession(sha256(sid)); }

  /** A new API token; the clear text is returned once and never stored. Its role is at most the user's. */
  async createToken(userId: string, name: string, role: Role, ttlDays?: number): Promise<{ id: string; token: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const now = this.opts.now();
    await this.repos.insertToken({ id, user_id: userId, name, hash: sha256(secret), role, created_at: now,
      expires_at: ttlDays ? now + ttlDays * 86_400_000 : null, revoked: false });
    return { id, token: `dcim_${id}.${secret}` };
  }

  async resolveToken(token: string): Promise<Principal | null> {
    const m = /^dcim_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const t = await this.repos.tokenById(m[1]!);
    if (!t || t.revoked || (t.expires_at !== null && t.expires_at < this.opts.now())) return null;
    const a = Buffer.from(sha256(m[2]!), 'hex'); const b = Buffer.from(t.hash, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
    const u = await this.repos.userById(t.user_id);
    if (!u || u.disabled) return null;
    return { userId: u.id, username: u.username, role: t.role, via: 'token', tokenId: t.id };
  }
}
