import { afterEach, describe, expect, it } from 'vitest';
import { FixtureServer } from './fixture-server.js';
import { ModbusEndpoint, ModbusEndpointPool, classify } from './endpoint.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function serve(spec = {}) {
  const s = new FixtureServer({ registers: { holding: { 0: [1, 2, 3] } }, ...spec });
  const port = await s.start(0);
  cleanups.push(() => s.stop());
  return { s, port };
}

const job = (run: Parameters<ModbusEndpoint['request']>[0]['run'], extra = {}) => ({ unitId: 1, timeoutMs: 500, pauseAfterConnectMs: 0, run, ...extra });

describe('Modbus endpoint', () => {
  it('runs one request at a time in FIFO order; writes (priority) go ahead of queued reads', async () => {
    const { s, port } = await serve({ delayMs: 2 });
    const ep = new ModbusEndpoint('127.0.0.1', port, 10);
    cleanups.push(() => ep.close());
    const order: string[] = [];
    const reads = [0, 1, 2].map((i) => ep.request(job((c) => c.readHoldingRegisters(i, 1).then((r) => { order.push(`r${i}`); return r.data[0]; }))));
    const write = ep.request(job((c) => c.writeRegister(5, 9).then(() => { order.push('w'); }), { priority: true }));
    expect(await Promise.all(reads)).toEqual([1, 2, 3]);
    await write;
    expect(order).toEqual(['r0', 'w', 'r1', 'r2']);
    expect(s.stats.maxInFlight).toBe(1);
    expect(ep.stats.maxInFlight).toBe(1);
    expect(s.get('holding', 5)).toBe(9);
  });

  it('refuses requests beyond the bounded queue with queue_full, and cancel() drops one owner', async () => {
    const { port } = await serve({ delayMs: 5 });
    const ep = new ModbusEndpoint('127.0.0.1', port, 2);
    cleanups.push(() => ep.close());
    const run = (c: Parameters<Parameters<ModbusEndpoint['request']>[0]['run']>[0]) => c.readHoldingRegisters(0, 1).then((r) => r.data[0]);
    const first = ep.request(job(run, { owner: 'a' }));
    const queued = [ep.request(job(run, { owner: 'b' })), ep.request(job(run, { owner: 'a' }))];
    const over = ep.request(job(run, { owner: 'a' }));
    await expect(over).rejects.toMatchObject({ reason: 'queue_full' });
    ep.cancel('a');
    await expect(queued[1]).rejects.toMatchObject({ reason: 'comm_failure' });
    expect(await queued[0]).toBe(1);
    expect(await first).toBe(1);
    expect(ep.stats.queueFull).toBe(1);
  });

  it('classifies: refused connection → comm_failure, exception → exception_<code>, silence → timeout', async () => {
    const { port } = await serve({ exceptions: [{ table: 'holding', address: 1, code: 2 }], silentUnits: [9] });
    const pool = new ModbusEndpointPool();
    const ep = pool.acquire('127.0.0.1', port, 10);
    cleanups.push(() => pool.release(ep));
    await expect(ep.request(job((c) => c.readHoldingRegisters(0, 2)))).rejects.toMatchObject({ reason: 'exception_2' });
    await expect(ep.request(job((c) => c.readHoldingRegisters(0, 1), { unitId: 9, timeoutMs: 50 }))).rejects.toMatchObject({ reason: 'timeout' });
    expect(await ep.request(job((c) => c.readHoldingRegisters(2, 1).then((r) => r.data)))).toEqual([3]);
    const { s: gone, port: deadPort } = await serve();
    await gone.stop();
    const dead = new ModbusEndpoint('127.0.0.1', deadPort, 10);
    cleanups.push(() => dead.close());
    await expect(dead.request(job((c) => c.readHoldingRegisters(0, 1)))).rejects.toMatchObject({ reason: 'comm_failure' });
    expect(classify(new Error('Data length error, expected 7 got 5')).reason).toBe('parse_error');
    expect(pool.get(`127.0.0.1:${port}`)).toBe(ep);
  });
});
