import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCommand } from '../../lib/command-signing.js';
import type { CommandResult, EdgeCommand } from '../../lib/mqtt-contract.js';
import { CommandIntake } from '../../agent/fire/commands.js';
import { FakeTimerHost } from '../../agent/fire/clock.js';

const KEY = 'k'.repeat(32);
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'dcim-cmd-'));
  dirs.push(dir);
  const clock = new FakeTimerHost();
  const journal: { type: string; data: Record<string, unknown> }[] = [];
  const dispatched: EdgeCommand[] = [];
  const results: CommandResult[] = [];
  const mk = () => new CommandIntake({
    keys: { '*': KEY }, seqFile: join(dir, 'command-seq.json'), clock,
    journal: (type, data) => journal.push({ type, data }),
    dispatch: async (c) => { dispatched.push(c); return c.kind === 'reset' ? { ok: false, status: 'rejected', reason: 'probe at 65 °C' } : { ok: true, status: 'done' }; },
    publishResult: (r) => results.push(r),
  });
  const intake = mk();
  intake.start();
  let seq = 0;
  const cmd = (over: Partial<EdgeCommand> = {}, key = KEY): EdgeCommand => signCommand({
    v: 1, id: `cmd-${String(++seq).padStart(6, '0')}`, kind: 'ack', zone: 'z1', actors: [{ user: 'ann', role: 'operator' }],
    issuedAt: clock.now(), expiresAt: clock.now() + 5000, issuer: 'server-1', seq, ...over,
  } as Omit<EdgeCommand, 'sig'>, key);
  return { clock, journal, dispatched, results, intake, cmd, mk };
}

describe('command intake (FS-32)', () => {
  it('FS-32 a valid signed command is accepted, journaled, dispatched and answered', async () => {
    const r = rig();
    const res = await r.intake.handle(Buffer.from(JSON.stringify(r.cmd())), 'mqtt');
    expect(res).toMatchObject({ ok: true, status: 'done' });
    expect(r.dispatched).toHaveLength(1);
    expect(r.results.map((x) => x.status)).toEqual(['accepted', 'done']);
    expect(r.journal.map((j) => j.type)).toEqual(['command.accepted', 'command.result']);
    expect(r.journal[0]!.data).toMatchObject({ kind: 'ack', actors: [{ user: 'ann', role: 'operator' }], source: 'mqtt' });
  });

  it('FS-32 replay a captured reset command → rejected (and after a restart too: the high-water mark is persisted)', async () => {
    const r = rig();
    const reset = r.cmd({ kind: 'reset', actors: [{ user: 'a', role: 'admin' }], reason: 'all clear' });
    expect((await r.intake.handle(reset, 'mqtt')).status).toBe('rejected'); // refused by the zone (still hot), but consumed
    expect((await r.intake.handle(reset, 'mqtt'))).toMatchObject({ status: 'rejected', reason: 'replayed' });
    const again = r.mk();
    again.start();
    expect(await again.handle(reset, 'mqtt')).toMatchObject({ status: 'rejected', reason: 'replayed' });
    expect(r.dispatched).toHaveLength(1);
  });

  it('FS-32 stale, future, too-long-lived, reordered and forged commands are rejected with their reason and journaled', async () => {
    const r = rig();
    const late = r.cmd();
    const t = r.clock.now();
    const newer = r.cmd();
    expect((await r.intake.handle(newer, 'mqtt')).ok).toBe(true);
    expect(await r.intake.handle(late, 'mqtt')).toMatchObject({ reason: 'replayed' }); // reordered: older seq after a newer one
    expect(await r.intake.handle(r.cmd({ issuedAt: t - 20_000, expiresAt: t - 12_000 }), 'mqtt')).toMatchObject({ reason: 'expired' });
    expect(await r.intake.handle(r.cmd({ issuedAt: t + 60_000, expiresAt: t + 65_000 }), 'mqtt')).toMatchObject({ reason: 'not_yet_valid' });
    expect(await r.intake.handle(r.cmd({ expiresAt: t + 60_000 }), 'mqtt')).toMatchObject({ reason: 'expiry_too_long' });
    expect(await r.intake.handle(r.cmd({}, 'x'.repeat(32)), 'mqtt')).toMatchObject({ reason: 'bad_signature' });
    expect(await r.intake.handle(Buffer.from('{not json'), 'mqtt')).toMatchObject({ status: 'rejected', reason: 'malformed: not JSON' });
    expect((await r.intake.handle({ v: 1, id: 'abcdefgh', kind: 'launch' }, 'mqtt')).reason).toMatch(/^malformed: /);
    expect(r.dispatched).toHaveLength(1);
    expect(r.intake.rejected()).toBe(7);
    expect(r.journal.filter((j) => j.type === 'command.rejected')).toHaveLength(7);
  });
});
