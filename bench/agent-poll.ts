/**
 * Agent polling throughput (issue 3): points/s and registers/s one agent reads from the simulated
 * site's Modbus devices, next to a bare modbus-serial loop reading the same registers (same
 * requests, one in flight per endpoint) in the same run, and the ratio; then the agent's RSS and
 * CPU while polling at ~10,000 points/s. The simulator runs in a child process so the figures
 * are the agent's own.
 *
 *   npx tsx bench/agent-poll.ts [--seconds 12] [--rounds 6] [--racks 8] [--rate 10000] [--steady-only]
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../lib/log.js';
import { resolveAgentConfig } from '../agent/config/load.js';
import { fromSim, type SimDeviceEndpoint } from '../agent/config/from-sim.js';
import { normalise, type PointDef } from '../agent/points/normalise.js';
import { systemClock, type RawReading } from '../agent/drivers/types.js';
import { ModbusDriver, ModbusEndpointPool, modbusDriverConfig } from '../agent/drivers/modbus/index.js';
import { ModbusRTU, type Client } from '../agent/drivers/modbus/endpoint.js';

const { values: opts } = parseArgs({
  options: { seconds: { type: 'string', default: '12' }, racks: { type: 'string', default: '8' }, rate: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '6' }, 'steady-only': { type: 'boolean', default: false }, serve: { type: 'boolean', default: false } },
});
const SECONDS = Number(opts.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Child mode: run the simulator (paused physics) and print its endpoints. */
async function serve(): Promise<void> {
  const { startSimulator } = await import('../hardware-sim/index.js');
  const sim = await startSimulator({ opcuaEnabled: false, timeScale: 0, config: { racksPerRoom: Number(opts.racks) } });
  process.stdout.write(`ENDPOINTS ${JSON.stringify(sim.endpoints)}\n`);
  const stop = () => { void sim.stop().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

async function startSimChild(): Promise<{ endpoints: SimDeviceEndpoint[]; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', '--racks', String(opts.racks)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const endpoints = await new Promise<SimDeviceEndpoint[]>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => { if (l.startsWith('ENDPOINTS ')) resolve(JSON.parse(l.slice(10)) as SimDeviceEndpoint[]); });
    child.once('exit', (c) => reject(new Error(`simulator exited ${c}`)));
  });
  return { endpoints, stop: async () => { const gone = new Promise((r) => child.once('exit', r)); child.kill('SIGTERM'); await gone; } };
}

interface Run { points: number; registers: number; seconds: number; cpuPct: number; rssMb: number; heapMb?: number }

async function runAgent(endpoints: SimDeviceEndpoint[], intervalMs: number, seconds: number): Promise<Run & { drivers: ModbusDriver[] }> {
  const loaded = resolveAgentConfig(fromSim(endpoints, { protocols: ['modbus'], modbus: { timeoutMs: 5000 } }));
  const defs = new Map<string, Map<string, PointDef>>(loaded.devices.map((d) => [d.id, new Map(d.points.map((p) => [p.name, p]))]));
  let points = 0;
  let bad = 0;
  // Every poll group at `intervalMs`; 0 (below the config minimum, bench only) = back to back.
  const groups = Object.fromEntries(Object.keys(loaded.config.pollGroups).map((g) => [g, intervalMs]));
  const pool = new ModbusEndpointPool();
  const drivers = loaded.devices.map((d) => new ModbusDriver(modbusDriverConfig(d, groups), { pool }));
  for (const d of drivers) {
    const dd = defs.get(d.deviceId)!;
    await d.start({ log: silentLogger, clock: systemClock, count: () => undefined, sink: (rs: RawReading[]) => {
      for (const r of rs) { const p = normalise(r, dd.get(r.point)!, 'sim1'); points++; if (p.quality === 'bad') bad++; }
    } });
  }
  await sleep(500); // warm-up: connections, JIT
  const regs0 = drivers.reduce((n, d) => n + d.stats.registers, 0);
  const p0 = points;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  const out = { points: (points - p0) / wall, registers: (drivers.reduce((n, d) => n + d.stats.registers, 0) - regs0) / wall, seconds: wall, cpuPct: ((cpu.user + cpu.system) / 1e6 / wall) * 100, rssMb: mem.rss / 2 ** 20, heapMb: mem.heapUsed / 2 ** 20, drivers };
  await Promise.all(drivers.map((d) => d.stop()));
  if (bad) process.stdout.write(`  (note: ${bad} bad-quality readings during the run)\n`);
  return out;
}

/** The same reads with bare modbus-serial clients: one client and one request in flight per endpoint. */
async function runBare(endpoints: SimDeviceEndpoint[], seconds: number): Promise<Run> {
  const loaded = resolveAgentConfig(fromSim(endpoints, { protocols: ['modbus'] }));
  const perEndpoint = new Map<string, { host: string; port: number; reqs: { unitId: number; table: string; address: number; length: number; points: number }[] }>();
  for (const dev of loaded.devices) {
    const m = dev.config.modbus!;
    const key = `${m.host}:${m.port}`;
    const e = perEndpoint.get(key) ?? { host: m.host, port: m.port, reqs: [] };
    const cfg = modbusDriverConfig(dev, loaded.config.pollGroups);
    for (const g of new ModbusDriver(cfg).plan()) {
      const pts = cfg.points.filter((p) => p.pollGroup === g.group);
      for (const r of g.requests) e.reqs.push({ unitId: m.unitId, table: r.table, address: r.address, length: r.length, points: r.items.reduce((n, it) => n + (pts[it.index]!.bits?.length ?? 1), 0) });
    }
    perEndpoint.set(key, e);
  }
  let points = 0;
  let registers = 0;
  let counting = false;
  let stop = false;
  const loops = [...perEndpoint.values()].map(async (e) => {
    const c: Client = new ModbusRTU();
    c.on('error' as 'close', () => undefined);
    await c.connectTCP(e.host, { port: e.port });
    c.setTimeout(5000);
    while (!stop) {
      for (const r of e.reqs) {
        c.setID(r.unitId);
        if (r.table === 'coil') await c.readCoils(r.address, r.length);
        else if (r.table === 'discrete') await c.readDiscreteInputs(r.address, r.length);
        else if (r.table === 'holding') await c.readHoldingRegisters(r.address, r.length);
        else await c.readInputRegisters(r.address, r.length);
        if (counting) { points += r.points; registers += r.length; }
      }
    }
    await new Promise<void>((r) => c.close(() => r()));
  });
  await sleep(500);
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  counting = false;
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await Promise.all(loops);
  return { points: points / wall, registers: registers / wall, seconds: wall, cpuPct: ((cpu.user + cpu.system) / 1e6 / wall) * 100, rssMb: process.memoryUsage().rss / 2 ** 20 };
}

async function main(): Promise<void> {
  const sim = await startSimChild();
  try {
    const modbus = sim.endpoints.filter((e) => e.protocol === 'modbus');
    const loaded = resolveAgentConfig(fromSim(sim.endpoints, { protocols: ['modbus'] }));
    const perCycle = loaded.devices.reduce((n, d) => n + d.points.length, 0);
    const f = (x: number) => Math.round(x).toLocaleString('en-US');
    process.stdout.write([
      'bench/agent-poll: Modbus TCP polling, agent vs bare modbus-serial, same registers, same run',
      `conditions: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared machine; simulator in a child process, physics paused`,
      `site: ${modbus.length} Modbus endpoints → ${loaded.devices.length} devices (gateway units counted), ${opts.racks} racks/room, ${f(perCycle)} points per full cycle; ${SECONDS} s per side in ${opts.rounds} paired rounds; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`,
      '',
    ].join('\n') + '\n');

    if (!opts['steady-only']) await compare(sim.endpoints, f);
    await steadyRun(sim.endpoints, perCycle, f);
  } finally {
    await sim.stop();
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

/**
 * Agent vs bare loop. The simulator process and the agent code warm up (JIT) on the first
 * traffic: warm both first. The machine is shared, so alternate agent / bare in short paired
 * rounds and report medians (of points/s and of each round's ratio), so neither order nor a noisy
 * neighbour biases one side.
 */
async function compare(endpoints: SimDeviceEndpoint[], f: (x: number) => string): Promise<void> {
  await runBare(endpoints, 1);
  await runAgent(endpoints, 0, 1);
  const rounds = Math.max(2, Number(opts.rounds));
  const runs = { agent: [] as Run[], bare: [] as Run[] };
  for (let i = 0; i < rounds; i++) {
    runs.agent.push(await runAgent(endpoints, 0, SECONDS / rounds));
    runs.bare.push(await runBare(endpoints, SECONDS / rounds));
  }
  const med = (rs: Run[]) => ({ points: median(rs.map((r) => r.points)), registers: median(rs.map((r) => r.registers)), cpuPct: median(rs.map((r) => r.cpuPct)) });
  const agent = med(runs.agent);
  const bare = med(runs.bare);
  const ratio = median(runs.agent.map((a, i) => a.points / runs.bare[i]!.points));
  process.stdout.write([
    `rounds (points/s): agent ${runs.agent.map((r) => f(r.points)).join(', ')}`,
    `                   bare  ${runs.bare.map((r) => f(r.points)).join(', ')}`,
    `agent (poll as fast as possible): median ${f(agent.points)} points/s, ${f(agent.registers)} registers/s, CPU ${agent.cpuPct.toFixed(0)} % of one core`,
    `bare modbus-serial loop:          median ${f(bare.points)} points/s, ${f(bare.registers)} registers/s, CPU ${bare.cpuPct.toFixed(0)} % of one core`,
    `ratio agent / bare:               ${ratio.toFixed(2)} (median of the paired rounds)`,
    '',
  ].join('\n') + '\n');
}

/** The agent alone at ~`--rate` points/s: its RSS and CPU. `--steady-only` runs this in a fresh process. */
async function steadyRun(endpoints: SimDeviceEndpoint[], perCycle: number, f: (x: number) => string): Promise<void> {
  const rate = Number(opts.rate);
  // Calibrate: cycles take time, so the first guess polls a little slower than asked; two short
  // probes, each correcting the interval by at most 30 % (a noisy probe cannot throw it far off).
  let interval = Math.max(1, Math.round((perCycle / rate) * 1000));
  for (let i = 0; i < 2; i++) {
    const probe = await runAgent(endpoints, interval, 2);
    interval = Math.max(1, Math.round(interval * Math.min(1.3, Math.max(0.7, probe.points / rate))));
  }
  const steady = await runAgent(endpoints, interval, Math.max(5, SECONDS / 2));
  process.stdout.write([
    `agent at a target of ${f(rate)} points/s (every poll group every ${interval} ms): measured ${f(steady.points)} points/s, ${f(steady.registers)} registers/s`,
    `  RSS ${steady.rssMb.toFixed(0)} MB (heap used ${steady.heapMb!.toFixed(0)} MB; RSS includes the tsx loader${opts['steady-only'] ? '' : ' and the earlier rounds'}), CPU ${steady.cpuPct.toFixed(1)} % of one core (agent process only: drivers + normaliser)`,
  ].join('\n') + '\n');
}

if (opts.serve) await serve();
else await main();
