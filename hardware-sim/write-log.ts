/**
 * Every write the simulator receives (Modbus coil/register writes, control-API actions), as
 * JSON lines with a wall timestamp and the sim time. Kept in memory (GET /writes) and appended
 * to a file when one is given.
 */
import { appendFileSync } from 'node:fs';

export interface WriteEntry {
  /** Wall time, ISO 8601. */
  ts: string;
  /** Sim clock, s. */
  simTimeS: number;
  /** Who wrote: `modbus:<remote addr>:<port>` or `control-api`. */
  who: string;
  device: string;
  unitId?: number;
  table?: 'coil' | 'holding';
  address?: number;
  point?: string;
  value: unknown;
  accepted: boolean;
  reason?: string;
}

export class WriteLog {
  private readonly entries: WriteEntry[] = [];
  constructor(private readonly file?: string, private readonly max = 100_000) {}

  add(e: Omit<WriteEntry, 'ts'>): WriteEntry {
    const entry: WriteEntry = { ts: new Date().toISOString(), ...e };
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.shift();
    if (this.file) appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    return entry;
  }

  list(): WriteEntry[] { return [...this.entries]; }

  jsonl(): string { return this.entries.map((e) => JSON.stringify(e)).join('\n') + (this.entries.length ? '\n' : ''); }
}
