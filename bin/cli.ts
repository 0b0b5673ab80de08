/**
 * `dcim` command dispatcher. Each subcommand lives with the part it drives and is loaded
 * lazily, so `dcim check-config` does not pay for node-opcua or DuckDB.
 */
export interface Subcommand {
  summary: string;
  usage: string;
  /** Module (relative to bin/) exporting `run(args): Promise<number>`. */
  module: string;
}

export const SUBCOMMANDS: Record<string, Subcommand> = {
  demo: { summary: 'simulated site + embedded broker + agent + server; prints the console URL', usage: 'dcim demo [--data DIR] [--port N]', module: '../server/demo.js' },
  sim: { summary: 'run the simulated site; prints where each device listens', usage: 'dcim sim [--scenario NAME] [--config FILE] [--broker URL]', module: '../hardware-sim/cli.js' },
  agent: { summary: 'run an edge agent', usage: 'dcim agent --config FILE', module: '../agent/cli.js' },
  server: { summary: 'run the server', usage: 'dcim server --config FILE', module: '../server/cli.js' },
  'check-config': { summary: 'validate a config file; errors name file, line, column and key', usage: 'dcim check-config FILE', module: '../agent/check-config.js' },
  browse: { summary: 'list an OPC-UA server\'s variables (to help write a profile)', usage: 'dcim browse URL [--user U --password P]', module: '../agent/drivers/opcua/browse.js' },
  drill: { summary: 'run a drill scenario against a running system and print a timed report', usage: 'dcim drill NAME [--sim URL] [--agent URL]', module: '../agent/fire/drill-cli.js' },
  fire: { summary: 'local fire-response commands when the server is gone (ack, reset, water-stop, ...)', usage: 'dcim fire CMD --zone Z --user U ...', module: '../agent/fire/local-cli.js' },
};

function help(): string {
  const rows = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}\n  ${''.padEnd(13)} ${c.usage}`);
  return `dcim: datacenter infrastructure management, edge agent and server\n\nUsage: dcim <command> [options]\n\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  const cmd = SUBCOMMANDS[name];
  if (!cmd) {
    process.stderr.write(`dcim: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  let mod: { run: (args: string[]) => Promise<number> };
  try {
    mod = await import(new URL(cmd.module.replace(/\.js$/, '.ts'), import.meta.url).href);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write(`dcim ${name}: this command is not built yet (${e.message.split('\n')[0]})\n`);
      return 3;
    }
    throw err;
  }
  return mod.run(rest);
}
