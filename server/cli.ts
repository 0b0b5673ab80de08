/**
 * `dcim server --config FILE`: load and validate the config (errors name file:line:col and
 * key), start the server, print the URL and — on first run only — the generated admin
 * password (there is no default password). SIGINT/SIGTERM close gracefully.
 */
import { parseCommandArgs, UsageError } from '../lib/args.js';
import { ConfigError } from '../lib/config/load.js';
import { loadServerConfig } from './config.js';
import { startServer } from './main.js';

export async function run(args: string[]): Promise<number> {
  let file: string;
  try {
    const { values } = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, port: { type: 'string' } }, 'dcim server --config FILE [--port N]');
    if (!values.config) throw new UsageError('missing --config FILE\nusage: dcim server --config FILE [--port N]');
    file = values.config;
    const config = loadServerConfig(file);
    const port = values.port !== undefined ? Number(values.port) : undefined;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port must be 0..65535, got '${values.port}'`);
    const server = await startServer({ config, port });
    process.stdout.write(`dcim server listening on ${server.url}\n`);
    if (server.firstAdmin) {
      process.stdout.write(`first run: created user '${server.firstAdmin.username}' (admin) with password: ${server.firstAdmin.password}\n` +
        'this password is shown once; change it after logging in (POST /api/auth/password)\n');
    }
    await new Promise<void>((resolve) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) { process.stderr.write(`dcim server: ${err.message}\n`); return 2; }
    process.stderr.write(`dcim server: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
