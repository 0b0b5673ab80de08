/**
 * `dcim demo` (what `npm start` runs): the simulated site, an embedded MQTT broker, an edge agent
 * with the fire runtime, and the server with its embedded store and the console, in one process
 * (server/demo/stack.ts). Prints the console URL, the accounts (passwords on the first run, or
 * new ones with --reset-passwords) and the measured start-up time; Ctrl-C stops everything and
 * keeps the data dir for the next start.
 */
import { parseCommandArgs, UsageError } from '../lib/args.js';
import { ConfigError } from '../lib/config/load.js';
import { startDemo, type DemoHandle } from './demo/stack.js';

const USAGE = 'dcim demo [--data DIR] [--port N] [--host H] [--time-scale X] [--drill-time-scale X] [--reset-passwords]';

export function describe(d: DemoHandle): string {
  const lines = [
    '',
    `  dcim demo is up in ${(d.startupMs / 1000).toFixed(1)} s (${Object.entries(d.phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})`,
    '',
    `  Console:   ${d.consoleUrl}`,
    `  API:       ${d.url}/api/openapi.json`,
    `  MQTT:      ${d.brokerUrl} (embedded broker)`,
    `  Simulator: ${d.sim.endpoints.length} devices, control API ${d.sim.controlUrl}`,
    `  Data:      ${d.dataDir} (kept between runs)`,
    '',
  ];
  if (d.accounts.accounts.some((a) => a.password)) {
    lines.push(d.accounts.reset ? '  New passwords (shown once):' : '  Accounts created on this first run (passwords shown once):');
    for (const a of d.accounts.accounts) lines.push(`    ${a.username.padEnd(9)} ${a.role.padEnd(9)} ${a.password ?? '(unchanged)'}`);
  } else {
    lines.push(`  Accounts exist already: ${d.accounts.accounts.map((a) => `${a.username} (${a.role})`).join(', ')}.`,
      '  Their passwords were printed on the first run; `npm start -- --reset-passwords` prints new ones.');
  }
  if (d.skippedDevices.length) lines.push('', `  Not read by the agent (no agent profile yet): ${d.skippedDevices.join(', ')}`);
  lines.push('', '  The site is calm until someone runs a drill (console → Drills). Ctrl-C stops everything.', '');
  return lines.join('\n');
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseCommandArgs(args, {
      data: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'time-scale': { type: 'string' }, 'drill-time-scale': { type: 'string' },
      'reset-passwords': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }, USAGE));
  } catch (err) {
    process.stderr.write(`dcim demo: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`usage: ${USAGE}\n`); return 0; }
  const num = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in ${min}..${max}, got '${v}'\nusage: ${USAGE}`);
    return n;
  };
  let demo: DemoHandle;
  try {
    const port = num('port', values.port, 0, 65535);
    if (port !== undefined && !Number.isInteger(port)) throw new UsageError(`--port must be an integer\nusage: ${USAGE}`);
    process.stdout.write('dcim demo: starting the simulated site, broker, agent and server…\n');
    demo = await startDemo({
      dataDir: values.data ?? 'var/demo',
      ...(port !== undefined ? { port } : {}),
      ...(values.host ? { host: values.host } : {}),
      ...(values['time-scale'] !== undefined ? { timeScale: num('time-scale', values['time-scale'], 0, 1000)! } : {}),
      ...(values['drill-time-scale'] !== undefined ? { drillTimeScale: num('drill-time-scale', values['drill-time-scale'], 0.1, 1000)! } : {}),
      resetPasswords: values['reset-passwords'] ?? false,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof UsageError || err instanceof ConfigError) { process.stderr.write(`dcim demo: ${e.message}\n`); return 2; }
    if (e.code === 'EADDRINUSE') { process.stderr.write(`dcim demo: ${e.message}; pick another port with --port N (0 = any free port)\n`); return 1; }
    if (e.name === 'DataDirLockedError') { process.stderr.write(`dcim demo: ${e.message} (is another demo running on this data dir?)\n`); return 1; }
    process.stderr.write(`dcim demo: ${e.stack ?? String(err)}\n`);
    return 1;
  }
  process.stdout.write(describe(demo));
  await new Promise<void>((resolve) => {
    const done = () => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  process.stdout.write('\ndcim demo: stopping…\n');
  const t = performance.now();
  await demo.stop();
  process.stdout.write(`dcim demo: stopped in ${((performance.now() - t) / 1000).toFixed(1)} s (${Object.entries(demo.stopTimes).filter(([k]) => k !== 'edge-boot').map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}); data kept in ${demo.dataDir}\n`);
  return 0;
}
