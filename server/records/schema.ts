/** Tables of records.duckdb. Idempotent (CREATE ... IF NOT EXISTS); run at every open. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS users (id VARCHAR PRIMARY KEY, username VARCHAR UNIQUE NOT NULL, role VARCHAR NOT NULL,
     pw_hash VARCHAR NOT NULL, created_at BIGINT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false)`,
  `CREATE TABLE IF NOT EXISTS tokens (id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, name VARCHAR NOT NULL, hash VARCHAR NOT NULL,
     role VARCHAR NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, revoked BOOLEAN NOT NULL DEFAULT false)`,
  `CREATE TABLE IF NOT EXISTS sessions (hash VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
  `CREATE SEQUENCE IF NOT EXISTS audit_seq`,
  `CREATE TABLE IF NOT EXISTS audit (id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'), ts BIGINT NOT NULL, actor VARCHAR NOT NULL,
     role VARCHAR, action VARCHAR NOT NULL, target VARCHAR, ip VARCHAR, ok BOOLEAN NOT NULL, detail VARCHAR)`,
  /** Documents (alarms, incidents, drills, commands) as JSON with an update time; the service owns the shape. */
  `CREATE TABLE IF NOT EXISTS docs (kind VARCHAR NOT NULL, id VARCHAR NOT NULL, doc VARCHAR NOT NULL, updated_at BIGINT NOT NULL,
     PRIMARY KEY (kind, id))`,
  `CREATE SEQUENCE IF NOT EXISTS journal_seq`,
  `CREATE TABLE IF NOT EXISTS journal (id BIGINT PRIMARY KEY DEFAULT nextval('journal_seq'), incident_id VARCHAR NOT NULL, ts BIGINT NOT NULL,
     author VARCHAR NOT NULL, kind VARCHAR NOT NULL, text VARCHAR NOT NULL, corrects BIGINT, data VARCHAR)`,
  `CREATE SEQUENCE IF NOT EXISTS notif_seq`,
  `CREATE TABLE IF NOT EXISTS notifications (id BIGINT PRIMARY KEY DEFAULT nextval('notif_seq'), ts BIGINT NOT NULL, subject_kind VARCHAR NOT NULL,
     subject_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, recipient VARCHAR NOT NULL, level INTEGER NOT NULL, attempt INTEGER NOT NULL,
     ok BOOLEAN NOT NULL, error VARCHAR, drill BOOLEAN NOT NULL DEFAULT false)`,
  `CREATE TABLE IF NOT EXISTS command_seq (issuer VARCHAR PRIMARY KEY, seq BIGINT NOT NULL)`,
];
