import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { buildLocalCommand, run as fireCli } from '../../agent/fire/local-cli.js';
import { localRequest } from '../../agent/fire/local-control.js';
import { fireConfig, startRig, type Rig } from './support/rig.js';

let rig: Rig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await fireCli(args, (s) => { out += s; }, (s) => { err += s; });
  return { code, out, err };
}

describe('local fire commands at the edge (FS-32, FS-23)', () => {
  it('FS-32 `dcim fire` works over the local socket with the server gone; a replayed command and a stale one are rejected and journaled', async () => {
    rig = await startRig({ racks: 2, timeScale: 1, config: fireConfig(2, { feedback: { breakerMs: 10000 } }) });
    const sock = join(rig.dir, 'fire.sock');
    const ok = await cli(['ack', '--zone', 'z1', '--user', 'ann', '--role', 'operator', '--reason', 'seen', '--socket', sock]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, status: 'done' });
    const key = readFileSync(join(rig.dir, 'local.key'), 'utf8').trim();
    const cmd = buildLocalCommand({ kind: 'silence', zone: 'z1', actors: [{ user: 'ann', role: 'operator' }], key });
    expect((await localRequest(sock, 'POST', '/cmd', cmd)).body).toMatchObject({ ok: true });
    expect((await localRequest(sock, 'POST', '/cmd', cmd)).body).toMatchObject({ ok: false, status: 'rejected', reason: 'replayed' });
    const stale = buildLocalCommand({ kind: 'silence', zone: 'z1', actors: [{ user: 'ann', role: 'operator' }], key, now: Date.now() - 30_000 });
    expect((await localRequest(sock, 'POST', '/cmd', stale)).body).toMatchObject({ status: 'rejected', reason: 'expired' });
    const forged = { ...buildLocalCommand({ kind: 'reset', zone: 'z1', actors: [{ user: 'eve', role: 'admin' }], key }), sig: 'f'.repeat(64) };
    expect((await localRequest(sock, 'POST', '/cmd', forged)).body).toMatchObject({ status: 'rejected', reason: 'bad_signature' });
    const rejected = rig.journal().filter((x) => x.type === 'command.rejected').map((x) => x.data.reason);
    expect(rejected).toEqual(['replayed', 'expired', 'bad_signature']);
    const bad = await cli(['launch', '--zone', 'z1', '--user', 'a', '--role', 'admin', '--socket', sock]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown fire command 'launch'/);
    const gone = await cli(['ack', '--zone', 'z1', '--user', 'a', '--role', 'admin', '--socket', join(rig.dir, 'nope.sock')]);
    expect(gone.code).toBe(3);
    expect(gone.err).toMatch(/cannot reach the fire runtime/);
  });

  it('FS-23 reset with one probe at 65 °C → rejected with the reason; the zone stays latched and the breakers open', async () => {
    rig = await startRig({ racks: 2, timeScale: 1, config: fireConfig(2, { timings: { onDelayMs: 0 }, feedback: { breakerMs: 10000 } }) });
    const r = rig;
    r.plant.set('rack.1.probe.a.temperature', 65);
    r.plant.set('rack.1.probe.b.temperature', 64);
    r.plant.set('rack.1.smoke', true);
    await r.until(() => r.stage() >= 1, 'stage 1');
    const sock = join(r.dir, 'fire.sock');
    const res = await cli(['reset', '--zone', 'z1', '--user', 'root', '--role', 'admin', '--reason', 'all clear', '--socket', sock]);
    expect(res.code).toBe(1);
    const body = JSON.parse(res.out) as { ok: boolean; reason: string };
    expect(body.ok).toBe(false);
    expect(body.reason.length).toBeGreaterThan(0);
    expect(r.stage()).toBeGreaterThanOrEqual(1);
    expect(r.plant.writes.filter((w) => /breaker\.open\.cmd/.test(w.point) && !w.value)).toEqual([]);
    const st = await cli(['status', '--zone', 'z1', '--socket', sock]);
    expect(JSON.parse(st.out)[0]).toMatchObject({ zone: 'z1' });
  });
});
