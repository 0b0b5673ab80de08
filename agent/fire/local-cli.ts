/**
 * `dcim fire CMD --zone Z --user U --role R [--reason TEXT] [--user2 U2 --role2 R2] [--target T]
 *  [--arg k=v ...] [--socket PATH] [--key FILE]` and `dcim fire status [--zone Z]`.
 *
 * Local fire-response commands at the edge when the server is gone (FS-32): the command is signed
 * with the agent's local key file (readable only by the agent's user) and sent to the running
 * agent over its unix socket, where it goes through the same verification, journal and guards
 * as a command from the server. Prints the CommandResult; exit 0 when done, 1 when rejected or
 * failed, 2 on usage errors, 3 when the agent cannot be reached.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { parseCommandArgs, UsageError } from '../../lib/args.js';
import { signCommand } from '../../lib/command-signing.js';
import { COMMAND_KINDS, ROLES, type CommandKind, type EdgeCommand, type Role } from '../../lib/mqtt-contract.js';
import { LOCAL_ISSUER, localRequest, readKeyFile } from './local-control.js';

const USAGE = 'dcim fire CMD --zone Z --user U --role R [--reason TEXT] [--user2 U2 --role2 R2] [--target T] [--arg k=v] [--socket PATH] [--key FILE]\n       dcim fire config-apply --file AGENT_CONFIG --user U --role admin --reason TEXT [--socket PATH]\n       dcim fire status [--zone Z] [--socket PATH]\nCMD: ' + COMMAND_KINDS.map((k) => k.replace('.', '-')).join(', ');

export const DEFAULT_SOCKET = join('data', 'fire', 'fire.sock');

let lastSeq = 0;
/** Per-issuer sequence for the CLI: microseconds since epoch, strictly increasing in this process. */
function nextSeq(): number {
  const s = Date.now() * 1000 + Number(process.hrtime.bigint() % 1000n);
  lastSeq = Math.max(lastSeq + 1, s);
  return lastSeq;
}

export function buildLocalCommand(o: { kind: CommandKind; zone?: string; actors: { user: string; role: Role }[]; reason?: string; target?: string; args?: Record<string, unknown>; key: string; now?: number }): EdgeCommand {
  const now = o.now ?? Date.now();
  const cmd: Omit<EdgeCommand, 'sig'> = {
    v: 1, id: `local-${randomUUID()}`, kind: o.kind, actors: o.actors, issuedAt: now, expiresAt: now + 5000, issuer: LOCAL_ISSUER, seq: nextSeq(),
  };
  if (o.zone) cmd.zone = o.zone;
  if (o.reason) cmd.reason = o.reason;
  if (o.target) cmd.target = o.target;
  if (o.args && Object.keys(o.args).length) cmd.args = o.args;
  return signCommand(cmd, o.key);
}

export async function run(args: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs(args, {
      zone: { type: 'string' }, user: { type: 'string' }, role: { type: 'string' }, reason: { type: 'string' },
      user2: { type: 'string' }, role2: { type: 'string' }, target: { type: 'string' }, arg: { type: 'string', multiple: true },
      socket: { type: 'string' }, key: { type: 'string' }, file: { type: 'string' },
    }, USAGE);
    if (parsed.positionals.length !== 1) throw new UsageError(`expected one CMD\nusage: ${USAGE}`);
  } catch (e) {
    err(`${(e as Error).message}\n`);
    return 2;
  }
  const v = parsed.values;
  const socket = v.socket ?? process.env.DCIM_FIRE_SOCKET ?? DEFAULT_SOCKET;
  const name = parsed.positionals[0]!;
  try {
    if (name === 'status') {
      const r = await localRequest(socket, 'GET', '/state');
      const zones = ((r.body as { zones?: { zone: string }[] }).zones ?? []).filter((z) => !v.zone || z.zone === v.zone);
      out(`${JSON.stringify(zones, null, 2)}\n`);
      return 0;
    }
    const kind = name.replace(/-/g, '.') as CommandKind;
    if (!COMMAND_KINDS.includes(kind)) throw new UsageError(`unknown fire command '${name}'\nusage: ${USAGE}`);
    const actors: { user: string; role: Role }[] = [];
    const actor = (user: string | undefined, role: string | undefined, which: string) => {
      if (!user && !role) return;
      if (!user || !role) throw new UsageError(`${which}: give both --user and --role`);
      if (!ROLES.includes(role as Role)) throw new UsageError(`${which}: role must be one of ${ROLES.join(', ')}`);
      actors.push({ user, role: role as Role });
    };
    actor(v.user, v.role, 'first actor');
    actor(v.user2, v.role2, 'second actor (--user2/--role2)');
    if (!actors.length) throw new UsageError(`--user and --role are required (who is acting)\nusage: ${USAGE}`);
    const cmdArgs: Record<string, unknown> = {};
    for (const a of v.arg ?? []) {
      const i = a.indexOf('=');
      if (i < 1) throw new UsageError(`--arg ${a}: expected key=value`);
      const raw = a.slice(i + 1);
      cmdArgs[a.slice(0, i)] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    if (kind === 'config.apply') {
      // FS-36: the fire section of an agent config file, validated here with file:line:col errors.
      if (!v.file) throw new UsageError(`config-apply needs --file AGENT_CONFIG (its fire section is sent)\nusage: ${USAGE}`);
      const { loadAgentConfig } = await import('../config/load.js');
      const { ConfigError } = await import('../../lib/config/load.js');
      let fire: unknown;
      try { fire = loadAgentConfig(v.file).config.fire; } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.message);
        throw e;
      }
      if (!fire) throw new UsageError(`${v.file}: has no fire section`);
      cmdArgs.fire = fire;
    }
    const key = readKeyFile(v.key ?? join(dirname(socket), 'local.key'));
    const cmd = buildLocalCommand({ kind, zone: v.zone, actors, reason: v.reason, target: v.target, args: cmdArgs, key });
    const r = await localRequest(socket, 'POST', '/cmd', cmd);
    out(`${JSON.stringify(r.body)}\n`);
    const body = r.body as { ok?: boolean };
    return body.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) { err(`${e.message}\n`); return 2; }
    err(`dcim fire: ${(e as Error).message}\n`);
    return 3;
  }
}
