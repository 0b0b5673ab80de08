import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENESIS, Journal, verifyJournalFile } from '../../agent/fire/journal.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function mk(): { dir: string; journal: (cfg?: string, mv?: string) => Journal } {
  const dir = mkdtempSync(join(tmpdir(), 'dcim-journal-'));
  dirs.push(dir);
  let t = 1_700_000_000_000;
  let m = 0;
  const clock = { now: () => (t += 7), monotonic: () => (m += 1.5) };
  return { dir, journal: (cfg = 'cfg1', mv = 'zone@1') => new Journal({ dir, zone: 'z1', clock, configHash: cfg, machineVersion: mv }) };
}

describe('journal (FS-30, FS-34, FS-35)', () => {
  it('FS-35 records are append-only, hash-chained, with UTC and monotonic time, config hash and machine version', () => {
    const { dir, journal } = mk();
    const j = journal();
    expect(j.open().records).toEqual([]);
    j.append('intent', { actuator: 'rack.1.breaker', op: 'open', intentId: 'i1' });
    j.append('outcome', { intentId: 'i1', ok: true }, { sync: false });
    j.append('transition', { from: 'idle', to: 's1' });
    j.close();
    const v = verifyJournalFile(join(dir, 'journal.jsonl'));
    expect(v.ok).toBe(true);
    expect(v.records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(v.records[0]!.prevHash).toBe(GENESIS);
    expect(v.records[1]!.prevHash).toBe(v.records[0]!.hash);
    expect(v.records[2]!.prevHash).toBe(v.records[1]!.hash);
    for (const r of v.records) {
      expect(r.configHash).toBe('cfg1');
      expect(r.machineVersion).toBe('zone@1');
      expect(r.ts).toBeGreaterThan(1_700_000_000_000);
      expect(r.mono).toBeGreaterThan(0);
    }
    expect(Object.keys(Journal.prototype)).not.toContain('delete');
    // Reopen continues the chain.
    const j2 = journal();
    expect(j2.open().records).toHaveLength(3);
    const r4 = j2.append('restart', {});
    expect(r4.seq).toBe(4);
    expect(r4.prevHash).toBe(v.records[2]!.hash);
    j2.close();
  });

  it('FS-35 tampering with a middle record breaks the chain; the file is kept aside, never deleted, and a new chain says so', () => {
    const { dir, journal } = mk();
    const j = journal();
    j.open();
    for (let i = 0; i < 5; i++) j.append('transition', { i });
    j.close();
    const file = join(dir, 'journal.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"i":1', '"i":9');
    writeFileSync(file, lines.join('\n'));
    const v = verifyJournalFile(file);
    expect(v.ok).toBe(false);
    expect(v.problem).toMatchObject({ kind: 'corrupt', line: 2, reason: 'checksum mismatch' });
    const j2 = journal();
    const rep = j2.open();
    expect(rep.chainBreak).toMatchObject({ atLine: 2, reason: 'checksum mismatch' });
    expect(rep.records.map((r) => r.type)).toEqual(['journal.chainBreak']);
    j2.close();
    expect(readdirSync(dir).some((f) => f.startsWith('journal.jsonl.corrupt-'))).toBe(true);
  });

  it('FS-34 kill -9 and truncate the last journal record → the torn record is discarded with a log entry and the chain continues', () => {
    const { dir, journal } = mk();
    const j = journal();
    j.open();
    j.append('intent', { intentId: 'a' });
    j.append('outcome', { intentId: 'a' });
    j.append('intent', { intentId: 'b' });
    j.close();
    const file = join(dir, 'journal.jsonl');
    const size = statSync(file).size;
    truncateSync(file, size - 20); // the last record loses its end and its newline
    const j2 = journal();
    const rep = j2.open();
    expect(rep.tornTail).not.toBeNull();
    expect(rep.tornTail!.bytes).toBeGreaterThan(0);
    expect(rep.records.map((r) => r.type)).toEqual(['intent', 'outcome', 'journal.tornTail']);
    expect(rep.records[2]!.seq).toBe(3);
    j2.append('intent', { intentId: 'c' });
    j2.close();
    expect(verifyJournalFile(file).ok).toBe(true);
  });

  it('FS-34 a garbage last line (complete, but bad checksum) is treated as a torn tail', () => {
    const { dir, journal } = mk();
    const j = journal();
    j.open();
    j.append('intent', { intentId: 'a' });
    j.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"seq":2,"garbage":true}\n');
    const rep = journal().open();
    expect(rep.tornTail?.reason).toBe('missing fields');
    expect(rep.records.map((r) => r.type)).toEqual(['intent', 'journal.tornTail']);
  });

  it('FS-30 snapshots are stored with machine version, config hash and journal position; a corrupt snapshot is reported, not used', () => {
    const { dir, journal } = mk();
    const j = journal('cfgA', 'zone@3');
    j.open();
    j.append('transition', { to: 's1' });
    const stored = j.saveSnapshot({ value: { incident: 's1' }, context: { latched: { s1: true } } });
    expect(stored).toMatchObject({ machineVersion: 'zone@3', configHash: 'cfgA', journalSeq: 1, zone: 'z1' });
    const loaded = j.loadSnapshot<{ value: unknown }>();
    expect(loaded.ok && loaded.stored.snapshot.value).toEqual({ incident: 's1' });
    writeFileSync(join(dir, 'snapshot.json'), readFileSync(join(dir, 'snapshot.json'), 'utf8').replace('s1', 's0'));
    expect(j.loadSnapshot()).toEqual({ ok: false, reason: 'snapshot checksum mismatch' });
    writeFileSync(join(dir, 'snapshot.json'), '{"v":1,');
    expect(j.loadSnapshot()).toEqual({ ok: false, reason: 'snapshot unparsable' });
    j.close();
    expect(existsSync(join(dir, 'snapshot.json.tmp'))).toBe(false);
  });

  it('append before open is a typed error, not a silent loss', () => {
    const { journal } = mk();
    expect(() => journal().append('x', {})).toThrow(/not open/);
  });
});
