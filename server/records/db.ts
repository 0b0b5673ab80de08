/**
 * The relational records of the operational side (users, tokens, sessions, audit, alarms,
 * incidents, journal, notifications, drills, command sequence) in their own DuckDB file,
 * `records.duckdb` in the data directory, or ':memory:' in tests. One connection; statements
 * are serialised through a promise chain so callers never interleave a read with a write.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './schema.js';

export type Row = Record<string, unknown>;

function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}

export class Records {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection) {}

  static async open(path: string): Promise<Records> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path, { threads: '1' });
    const conn = await instance.connect();
    const r = new Records(instance, conn);
    for (const sql of MIGRATIONS) await r.run(sql);
    return r;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('records are closed'));
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  run(sql: string, params: unknown[] = []): Promise<void> {
    return this.enqueue(async () => { await this.conn.run(sql, params as DuckDBValue[]); });
  }

  all<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.enqueue(async () => {
      const reader = await this.conn.runAndReadAll(sql, params as DuckDBValue[]);
      return reader.getRowObjectsJS().map((row) => {
        const o: Row = {};
        for (const [k, v] of Object.entries(row)) o[k] = plain(v);
        return o as T;
      });
    });
  }

  async one<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** Wait for queued statements, then close. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
