/**
 * `dcim browse URL [--user U --password P | --password-file F] [--security MODE --policy POLICY]
 * [--pki DIR] [--depth N] [--max N] [--all] [--yaml]`: list an OPC-UA server's variables (node id, path, data
 * type, unit, access) to help an integrator write a profile; `--yaml` prints a profile skeleton.
 */
import {
  AttributeIds, BrowseDirection, DataType, MessageSecurityMode, NodeClass, OPCUACertificateManager, OPCUAClient,
  SecurityPolicy, UserTokenType, type ClientSession, type ReferenceDescription,
} from 'node-opcua';
import { stringify } from 'yaml';
import { parseCommandArgs, UsageError } from '../../../lib/args.js';
import { OPCUA_SECURITY_MODES, OPCUA_SECURITY_POLICIES, type OpcuaSecurityMode, type OpcuaSecurityPolicy } from './config.js';
import { DEFAULT_CLIENT_PKI_DIR, opcuaPassword } from './index.js';

export interface BrowsedVariable {
  nodeId: string;
  /** Browse names from Objects, joined by '/'. */
  path: string;
  dataType: string;
  unit?: string;
  writable: boolean;
}

const USAGE = 'dcim browse URL [--user U --password P | --password-file F] [--security None|Sign|SignAndEncrypt] [--policy NAME] [--pki DIR] [--depth N] [--max N] [--all] [--yaml]';
const PROPERTY_NAMES = new Set(['EngineeringUnits', 'EURange', 'InstrumentRange', 'ValuePrecision', 'Definition', 'NodeVersion']);

/** Walk Objects (breadth first) and describe every variable found. */
export async function browseVariables(session: ClientSession, opts: { depth?: number; max?: number; all?: boolean } = {}): Promise<BrowsedVariable[]> {
  const maxDepth = opts.depth ?? 8;
  const max = opts.max ?? 10_000;
  const found: { nodeId: string; path: string }[] = [];
  const units = new Map<string, string>();
  let frontier: { nodeId: string; path: string; isVar: boolean }[] = [{ nodeId: 'i=85', path: '', isVar: false }];
  const seen = new Set<string>(['i=85']);
  for (let depth = 0; depth < maxDepth && frontier.length && found.length < max; depth++) {
    const results = await session.browse(frontier.map((f) => ({
      nodeId: f.nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true,
      nodeClassMask: NodeClass.Object | NodeClass.Variable, resultMask: 63,
    })));
    const next: typeof frontier = [];
    results.forEach((r, i) => {
      const parent = frontier[i]!;
      for (const ref of (r.references ?? []) as ReferenceDescription[]) {
        const id = ref.nodeId.toString();
        const name = ref.browseName.name ?? id;
        if (!opts.all && id === 'ns=0;i=2253') continue; // the Server object: diagnostics, not plant data
        if (seen.has(id)) continue;
        seen.add(id);
        const path = parent.path ? `${parent.path}/${name}` : name;
        if (ref.nodeClass === NodeClass.Variable) {
          if (parent.isVar && PROPERTY_NAMES.has(name)) {
            if (name === 'EngineeringUnits') units.set(parent.nodeId, id);
            continue;
          }
          if (found.length < max) found.push({ nodeId: id, path });
        }
        next.push({ nodeId: id, path, isVar: ref.nodeClass === NodeClass.Variable });
      }
    });
    frontier = next;
  }
  const attrs = await session.read(found.flatMap((f) => [
    { nodeId: f.nodeId, attributeId: AttributeIds.DataType },
    { nodeId: f.nodeId, attributeId: AttributeIds.UserAccessLevel },
  ]));
  const unitIds = found.map((f) => units.get(f.nodeId)).filter((x): x is string => Boolean(x));
  const unitValues = unitIds.length ? await session.read(unitIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }))) : [];
  const unitOf = new Map<string, string>();
  unitIds.forEach((id, i) => {
    const eu = unitValues[i]?.value.value as { displayName?: { text?: string } } | null;
    if (eu?.displayName?.text) unitOf.set(id, eu.displayName.text);
  });
  return found.map((f, i) => {
    const dt = attrs[2 * i]!.value.value as { namespace?: number; value?: unknown } | null;
    const dataType = dt && dt.namespace === 0 && typeof dt.value === 'number' ? (DataType[dt.value] ?? `i=${dt.value}`) : String(dt?.value ?? '?');
    const access = Number(attrs[2 * i + 1]!.value.value ?? 0);
    const v: BrowsedVariable = { nodeId: f.nodeId, path: f.path, dataType, writable: (access & 2) !== 0 };
    const u = units.get(f.nodeId);
    if (u && unitOf.has(u)) v.unit = unitOf.get(u)!;
    return v;
  });
}

export function formatTable(vars: BrowsedVariable[]): string {
  const rows = [['NODE ID', 'PATH', 'TYPE', 'UNIT', 'ACCESS'], ...vars.map((v) => [v.nodeId, v.path, v.dataType, v.unit ?? '', v.writable ? 'rw' : 'r'])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return `${rows.map((r) => r.map((x, c) => x.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')}\n`;
}

/** A profile skeleton: names are placeholders under `dcim:` to be replaced with vocabulary names. */
export function formatProfile(vars: BrowsedVariable[]): string {
  const points = vars
    .filter((v) => ['Double', 'Float', 'Int16', 'Int32', 'Int64', 'UInt16', 'UInt32', 'UInt64', 'Byte', 'SByte', 'Boolean', 'String'].includes(v.dataType))
    .map((v) => ({
      name: `dcim:${v.path.toLowerCase().replace(/[^a-z0-9/]+/g, '_').replace(/\//g, '.')}`,
      nodeId: v.nodeId,
      ...(v.unit ? { unit: v.unit } : {}),
      ...(v.writable ? { writable: true } : {}),
    }));
  return stringify({ opcua: { points } });
}

function pick<T extends readonly string[]>(value: string | undefined, allowed: T, what: string): T[number] | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new UsageError(`--${what} must be one of ${allowed.join(', ')}\nusage: ${USAGE}`);
  return value as T[number];
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs(args, {
      user: { type: 'string' }, password: { type: 'string' }, 'password-file': { type: 'string' },
      security: { type: 'string' }, policy: { type: 'string' }, pki: { type: 'string' }, depth: { type: 'string' }, max: { type: 'string' },
      all: { type: 'boolean' }, yaml: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }, USAGE);
    if (parsed.values.help) { process.stdout.write(`usage: ${USAGE}\n`); return 0; }
    if (parsed.positionals.length !== 1 || !/^opc\.tcp:\/\//.test(parsed.positionals[0]!)) throw new UsageError(`give one endpoint URL (opc.tcp://host:port)\nusage: ${USAGE}`);
  } catch (err) {
    process.stderr.write(`dcim browse: ${(err as Error).message}\n`);
    return 2;
  }
  const v = parsed.values;
  let client: OPCUAClient | null = null;
  try {
    const mode: OpcuaSecurityMode = pick(v.security, OPCUA_SECURITY_MODES, 'security') ?? 'None';
    const policy: OpcuaSecurityPolicy = pick(v.policy, OPCUA_SECURITY_POLICIES, 'policy') ?? (mode === 'None' ? 'None' : 'Basic256Sha256');
    const password = opcuaPassword({ password: v.password, passwordFile: v['password-file'] });
    client = OPCUAClient.create({
      applicationName: 'dcim-agent', endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      securityMode: MessageSecurityMode[mode], securityPolicy: SecurityPolicy[policy],
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: v.pki ?? DEFAULT_CLIENT_PKI_DIR, automaticallyAcceptUnknownCertificate: true }),
    });
    await client.connect(parsed.positionals[0]!);
    const session = await client.createSession(v.user ? { type: UserTokenType.UserName, userName: v.user, password: password ?? '' } : { type: UserTokenType.Anonymous });
    const vars = await browseVariables(session, { depth: v.depth ? Number(v.depth) : undefined, max: v.max ? Number(v.max) : undefined, all: v.all });
    process.stdout.write(v.yaml ? formatProfile(vars) : formatTable(vars));
    await session.close();
    return 0;
  } catch (err) {
    if (err instanceof UsageError) { process.stderr.write(`dcim browse: ${err.message}\n`); return 2; }
    process.stderr.write(`dcim browse: ${(err as Error).message.split('\n')[0]} (check the URL, that the server runs, and --user/--password)\n`);
    return 1;
  } finally {
    await client?.disconnect().catch(() => undefined);
  }
}
