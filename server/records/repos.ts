/**
 * Typed access to each record kind. Thin: SQL in, plain objects out. The journal and the audit
 * trail are append-only: there is no update or delete here for them.
 */
import type { Records } from './db.js';
import type { Role } from '../../lib/mqtt-contract.js';

export interface UserRow { id: string; username: string; role: Role; pw_hash: string; created_at: number; disabled: boolean }
export interface TokenRow { id: string; user_id: string; name: string; hash: string; role: Role; created_at: number; expires_at: number | null; revoked: boolean }
export interface AuditEntry { id?: number; ts: number; actor: string; role?: string | null; action: string; target?: string | null; ip?: string | null; ok: boolean; detail?: unknown }
export interface JournalEntry { id: number; incidentId: string; ts: number; author: string; kind: string; text: string; corrects: number | null; data: unknown }
export interface NotificationAttempt { id?: number; ts: number; subjectKind: 'alarm' | 'incident' | 'status' | 'flood'; subjectId: string; channel: string; recipient: string; level: number; attempt: number; ok: boolean; error?: string | null; drill?: boolean }

export class Repos {
  constructor(readonly db: Records) {}

  // users
  async userCount(): Promise<number> { return Number((await this.db.one<{ n: number }>('SELECT count(*) AS n FROM users'))?.n ?? 0); }
  insertUser(u: UserRow) {
    return this.db.run('INSERT INTO users VALUES ($1,$2,$3,$4,$5,$6)', [u.id, u.username, u.role, u.pw_hash, u.created_at, u.disabled]);
  }
  userByName(username: string) { return this.db.one<UserRow & Record<string, unknown>>('SELECT * FROM users WHERE username = $1', [username]); }
  userById(id: string) { return this.db.one<UserRow & Record<string, unknown>>('SELECT * FROM users WHERE id = $1', [id]); }
  listUsers() { return this.db.all<UserRow & Record<string, unknown>>('SELECT * FROM users ORDER BY username'); }
  updateUser(id: string, patch: { role?: Role; pw_hash?: string; disabled?: boolean }) {
    const sets: string[] = []; const vals: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) { vals.push(v); sets.push(`${k} = $${vals.length}`); }
    if (!sets.length) return Promise.resolve();
    vals.push(id);
    return this.db.run(`UPDATE users SET ${sets.join(', ')} WHERE id = $${vals.length}`, vals);
  }

  // tokens
  insertToken(t: TokenRow) {
    return this.db.run('INSERT INTO tokens VALUES ($1,$2,$3,$4,$5,$6,$7,$8)', [t.id, t.user_id, t.name, t.hash, t.role, t.created_at, t.expires_at, t.revoked]);
  }
  tokenById(id: string) { return this.db.one<TokenRow & Record<string, unknown>>('SELECT * FROM tokens WHERE id = $1', [id]); }
  listTokens(userId?: string) {
    return userId ? this.db.all<TokenRow & Record<string, unknown>>('SELECT * FROM tokens WHERE user_id = $1 ORDER BY created_at', [userId])
      : this.db.all<TokenRow & Record<string, unknown>>('SELECT * FROM tokens ORDER BY created_at');
  }
  revokeToken(id: string) { return this.db.run('UPDATE tokens SET revoked = true WHERE id = $1', [id]); }

  // sessions
  insertSession(hash: string, userId: string, createdAt: number, expiresAt: number) {
    return this.db.run('INSERT INTO sessions VALUES ($1,$2,$3,$4)', [hash, userId, createdAt, expiresAt]);
  }
  sessionByHash(hash: string) { return this.db.one<{ hash: string; user_id: string; created_at: number; expires_at: number }>('SELECT * FROM sessions WHERE hash = $1', [hash]); }
  deleteSession(hash: string) { return this.db.run('DELETE FROM sessions WHERE hash = $1', [hash]); }
  deleteExpiredSessions(now: number) { return this.db.run('DELETE FROM sessions WHERE expires_at < $1', [now]); }

  // audit (append-only)
  audit(e: AuditEntry) {
    return this.db.run('INSERT INTO audit (ts, actor, role, action, target, ip, ok, detail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
      [e.ts, e.actor, e.role ?? null, e.action, e.target ?? null, e.ip ?? null, e.ok, e.detail === undefined ? null : JSON.stringify(e.detail)]);
  }
  async listAudit(opts: { limit: number; actor?: string; action?: string; since?: number }): Promise<AuditEntry[]> {
    const where: string[] = []; const vals: unknown[] = [];
    if (opts.actor) { vals.push(opts.actor); where.push(`actor = $${vals.length}`); }
    if (opts.action) { vals.push(`${opts.action}%`); where.push(`action LIKE $${vals.length}`); }
    if (opts.since !== undefined) { vals.push(opts.since); where.push(`ts >= $${vals.length}`); }
    vals.push(opts.limit);
    const rows = await this.db.all(`SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${vals.length}`, vals);
    return rows.map((r) => ({ id: r.id as number, ts: r.ts as number, actor: r.actor as string, role: r.role as string | null, action: r.action as string,
      target: r.target as string | null, ip: r.ip as string | null, ok: r.ok as boolean, detail: r.detail ? JSON.parse(r.detail as string) : undefined }));
  }

  // documents
  putDoc(kind: string, id: string, doc: unknown, now: number) {
    return this.db.run('INSERT OR REPLACE INTO docs VALUES ($1,$2,$3,$4)', [kind, id, JSON.stringify(doc), now]);
  }
  async getDocs<T>(kind: string): Promise<T[]> {
    return (await this.db.all<{ doc: string }>('SELECT doc FROM docs WHERE kind = $1 ORDER BY updated_at', [kind])).map((r) => JSON.parse(r.doc) as T);
  }

  // journal (append-only)
  async appendJournal(e: Omit<JournalEntry, 'id'>): Promise<JournalEntry> {
    const row = await this.db.one<{ id: number }>(
      'INSERT INTO journal (incident_id, ts, author, kind, text, corrects, data) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id',
      [e.incidentId, e.ts, e.author, e.kind, e.text, e.corrects, e.data === undefined ? null : JSON.stringify(e.data)]);
    return { ...e, id: Number(row!.id) };
  }
  async journal(incidentId: string): Promise<JournalEntry[]> {
    const rows = await this.db.all('SELECT * FROM journal WHERE incident_id = $1 ORDER BY ts, id', [incidentId]);
    return rows.map((r) => ({ id: r.id as number, incidentId: r.incident_id as string, ts: r.ts as number, author: r.author as string, kind: r.kind as string,
      text: r.text as string, corrects: (r.corrects as number | null) ?? null, data: r.data ? JSON.parse(r.data as string) : null }));
  }

  // notifications
  recordNotification(n: NotificationAttempt) {
    return this.db.run('INSERT INTO notifications (ts, subject_kind, subject_id, channel, recipient, level, attempt, ok, error, drill) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)',
      [n.ts, n.subjectKind, n.subjectId, n.channel, n.recipient, n.level, n.attempt, n.ok, n.error ?? null, n.drill ?? false]);
  }
  async notifications(opts: { subjectId?: string; limit: number }): Promise<NotificationAttempt[]> {
    const rows = opts.subjectId
      ? await this.db.all('SELECT * FROM notifications WHERE subject_id = $1 ORDER BY id DESC LIMIT $2', [opts.subjectId, opts.limit])
      : await this.db.all('SELECT * FROM notifications ORDER BY id DESC LIMIT $1', [opts.limit]);
    return rows.map((r) => ({ id: r.id as number, ts: r.ts as number, subjectKind: r.subject_kind as NotificationAttempt['subjectKind'], subjectId: r.subject_id as string,
      channel: r.channel as string, recipient: r.recipient as string, level: r.level as number, attempt: r.attempt as number, ok: r.ok as boolean,
      error: (r.error as string | null) ?? null, drill: r.drill as boolean }));
  }

  // per-issuer command sequence (persisted before a command is published)
  async nextCommandSeq(issuer: string): Promise<number> {
    const row = await this.db.one<{ seq: number }>(
      'INSERT INTO command_seq VALUES ($1, 1) ON CONFLICT (issuer) DO UPDATE SET seq = command_seq.seq + 1 RETURNING seq', [issuer]);
    return Number(row!.seq);
  }
}
