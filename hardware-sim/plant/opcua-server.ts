/**
 * The chiller plant as a real OPC-UA server (node-opcua). Objects/Plant holds folders Chiller1..N,
 * LoopA, LoopB and BufferTank; every variable has a string node id `ns=1;s=<Folder>.<Name>` (see
 * opcua-nodes.ts and README.md). Values are refreshed from plant.state every updateMs; a sensor
 * fault turns a node's StatusCode Bad or Uncertain; writes to setpoints and commands act on the
 * plant and are reported through onWrite (for the sim's JSONL write log).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType, DataValue, makeEUInformation, MessageSecurityMode, OPCUACertificateManager, OPCUAServer,
  RegisterServerMethod, SecurityPolicy, StatusCodes, Variant, type Namespace, type StatusCode, type UAVariable,
} from 'node-opcua';
import type { CoolingPlant } from './cooling.js';
import { nodeIdentifier, plantNodeSpecs, UNITS, type PlantNodeSpec, type PlantNodeValue } from './opcua-nodes.js';

export type NodeFaultKind = 'bad' | 'uncertain';

/** A sensor override: hold a value (stuck sensor) and/or add an offset (offset sensor). */
export interface NodeOverride {
  stuckAt?: PlantNodeValue;
  offset?: number;
}

export interface PlantWriteEvent {
  nodeId: string;
  value: PlantNodeValue;
  ok: boolean;
  error?: string;
}

export interface ChillerOpcuaOptions {
  /** TCP port; 0 (default) picks a free one, reported in the handle. Give the old port to restart in place. */
  port?: number;
  host?: string;
  /** When both are set, anonymous sessions are refused and only this user is accepted. */
  user?: string;
  password?: string;
  /** How often values are refreshed from plant.state, ms (default 500). */
  updateMs?: number;
  /** PKI folder (server certificate, reused across runs); default `$TMPDIR/dcim-opcua-pki`. */
  pkiDir?: string;
  /** Called for every client write to a writable node, accepted or not. */
  onWrite?(event: PlantWriteEvent): void;
}

export interface ChillerOpcuaServer {
  endpointUrl: string;
  port: number;
  /** Wall-clock ms from call to listening (initialize + start). */
  startupMs: number;
  /** Every variable's full node id, in address-space order. */
  nodeIds: string[];
  /** Mark a node's sensor Bad (BadSensorFailure) or Uncertain (UncertainSensorNotAccurate); null clears. */
  setNodeFault(nodeId: string, kind: NodeFaultKind | null): void;
  /** Stuck or offset sensor on a node; null clears. */
  setNodeOverride(nodeId: string, override: NodeOverride | null): void;
  /** Refresh every value from plant.state now (also done every updateMs). */
  refresh(): void;
  /** Device offline: true shuts the server down (connections refused); false starts it again on the same port, faults kept. */
  setOffline(offline: boolean): Promise<void>;
  /** False while offline. */
  readonly online: boolean;
  stop(): Promise<void>;
}

export class UnknownNodeError extends Error {
  constructor(nodeId: string) {
    super(`unknown chiller-plant node '${nodeId}': use an id from hardware-sim/plant/README.md, e.g. ns=1;s=Chiller1.SupplyTemperature`);
    this.name = 'UnknownNodeError';
  }
}

const DATA_TYPES = { Double: DataType.Double, Boolean: DataType.Boolean, String: DataType.String } as const;

export const DEFAULT_PKI_DIR = join(tmpdir(), 'dcim-opcua-pki');

interface NodeRuntime {
  spec: PlantNodeSpec;
  fault: NodeFaultKind | null;
  override: NodeOverride | null;
  current: Variant;
  status: StatusCode;
}

function faultStatus(kind: NodeFaultKind | null): StatusCode {
  return kind === 'bad' ? StatusCodes.BadSensorFailure : kind === 'uncertain' ? StatusCodes.UncertainSensorNotAccurate : StatusCodes.Good;
}

function applyOverride(v: PlantNodeValue, o: NodeOverride | null): PlantNodeValue {
  if (!o) return v;
  if (o.stuckAt !== undefined) return o.stuckAt;
  if (o.offset !== undefined && typeof v === 'number') return v + o.offset;
  return v;
}

function addVariable(ns: Namespace, folder: object, spec: PlantNodeSpec, minimumSamplingInterval: number): UAVariable {
  const common = {
    componentOf: folder as never,
    nodeId: `s=${spec.id}`,
    browseName: spec.browseName,
    description: spec.description,
    minimumSamplingInterval,
    accessLevel: spec.write ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
    userAccessLevel: spec.write ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
  };
  if (spec.dataType === 'Double' && spec.unit) {
    const u = UNITS[spec.unit];
    return ns.addAnalogDataItem({
      ...common,
      dataType: 'Double',
      engineeringUnits: makeEUInformation(u.code, spec.unit, u.name),
      engineeringUnitsRange: spec.range ? { low: spec.range[0], high: spec.range[1] } : undefined,
    } as never) as unknown as UAVariable;
  }
  return ns.addVariable({ ...common, dataType: spec.dataType } as never);
}

interface Launched {
  server: OPCUAServer;
  variables: Map<string, UAVariable>;
  timer: NodeJS.Timeout;
  port: number;
}

/** Start the chiller plant's OPC-UA server. */
export async function startChillerOpcua(plant: CoolingPlant, opts: ChillerOpcuaOptions = {}): Promise<ChillerOpcuaServer> {
  const t0 = performance.now();
  const host = opts.host ?? '127.0.0.1';
  const updateMs = opts.updateMs ?? 500;
  const auth = opts.user !== undefined && opts.password !== undefined;
  if ((opts.user === undefined) !== (opts.password === undefined)) {
    throw new TypeError('startChillerOpcua: give both user and password, or neither');
  }
  const pkiDir = opts.pkiDir ?? DEFAULT_PKI_DIR;
  mkdirSync(pkiDir, { recursive: true });
  const state0 = plant.state;
  const specs = plantNodeSpecs(state0.chillers.length, state0.tank.layerTemperaturesC.length);
  // Node state (faults, overrides, last value) outlives a power cycle of the server.
  const nodes = new Map<string, NodeRuntime>(specs.map((spec) => [spec.id, {
    spec, fault: null, override: null, status: StatusCodes.Good,
    current: new Variant({ dataType: DATA_TYPES[spec.dataType], value: spec.read(state0) }),
  }]));
  const valueOf = (n: NodeRuntime, s: typeof state0): Variant =>
    new Variant({ dataType: DATA_TYPES[n.spec.dataType], value: applyOverride(n.spec.read(s), n.override) });

  let running: Launched | null = null;
  const refresh = () => {
    const s = plant.state;
    const now = new Date();
    for (const n of nodes.values()) {
      n.current = valueOf(n, s);
      n.status = faultStatus(n.fault);
      if (!n.spec.write) running?.variables.get(n.spec.id)?.setValueFromSource(n.current, n.status, now);
    }
  };

  const launch = async (port: number): Promise<Launched> => {
    const server = new OPCUAServer({
      port,
      host,
      hostname: host,
      serverCertificateManager: new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true }),
      registerServerMethod: RegisterServerMethod.HIDDEN,
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep],
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      allowAnonymous: !auth,
      userManager: auth ? { isValidUser: (u: string, p: string) => u === opts.user && p === opts.password } : undefined,
      buildInfo: { productName: 'dcim-sim chiller plant', manufacturerName: 'dcim hardware-sim', softwareVersion: '1.0.0' },
      serverInfo: { applicationName: { text: 'dcim-sim chiller-plant' }, applicationUri: 'urn:dcim:sim:chiller-plant', productUri: 'urn:dcim:sim' },
      maxConnectionsPerEndpoint: 50,
    });
    try {
      await server.initialize();
      const addressSpace = server.engine.addressSpace;
      if (!addressSpace) throw new Error('startChillerOpcua: node-opcua created no address space');
      const ns = addressSpace.getOwnNamespace();
      const plantFolder = ns.addFolder(addressSpace.rootFolder.objects, { nodeId: 's=Plant', browseName: 'Plant' });
      const folders = new Map<string, object>([['Plant', plantFolder]]);
      const variables = new Map<string, UAVariable>();
      for (const rt of nodes.values()) {
        const spec = rt.spec;
        let folder = folders.get(spec.folder);
        if (!folder) {
          folder = ns.addFolder(plantFolder, { nodeId: `s=${spec.folder}`, browseName: spec.folder });
          folders.set(spec.folder, folder);
        }
        const variable = addVariable(ns, folder, spec, Math.min(updateMs, 1000));
        if (spec.write) bindWritable(variable, rt, spec.write);
        variables.set(spec.id, variable);
      }
      running = { server, variables, timer: setInterval(refresh, updateMs), port: 0 };
      running.timer.unref();
      refresh();
      await server.start();
      const got = server.endpoints[0]?.port;
      if (!got) throw new Error('startChillerOpcua: server reported no port');
      running.port = got;
      return running;
    } catch (err) {
      if (running) clearInterval(running.timer);
      running = null;
      await server.shutdown(0).catch(() => undefined);
      throw err;
    }
  };

  const bindWritable = (variable: UAVariable, rt: NodeRuntime, write: NonNullable<PlantNodeSpec['write']>) => {
    const spec = rt.spec;
    variable.bindVariable({
      timestamped_get: () => new DataValue({ value: rt.current, statusCode: rt.status, sourceTimestamp: new Date(), serverTimestamp: new Date() }),
      timestamped_set: async (dv: DataValue) => {
        const value = dv.value.value as PlantNodeValue;
        const ev: PlantWriteEvent = { nodeId: spec.nodeId, value, ok: true };
        try {
          if (typeof value !== (spec.dataType === 'Boolean' ? 'boolean' : 'number')) throw new TypeError(`${spec.nodeId} expects ${spec.dataType}`);
          write(plant, value);
          rt.current = valueOf(rt, plant.state);
        } catch (err) {
          ev.ok = false;
          ev.error = (err as Error).message;
        }
        opts.onWrite?.(ev);
        return ev.ok ? StatusCodes.Good : StatusCodes.BadOutOfRange;
      },
    }, true);
  };

  const first = await launch(opts.port ?? 0);
  const port = first.port;
  const lookup = (nodeId: string) => {
    const n = nodes.get(nodeIdentifier(nodeId));
    if (!n) throw new UnknownNodeError(nodeId);
    return n;
  };
  const shutdown = async () => {
    const r = running;
    running = null;
    if (!r) return;
    clearInterval(r.timer);
    await r.server.shutdown(0);
  };
  let stopped = false;
  return {
    endpointUrl: `opc.tcp://${host}:${port}`,
    port,
    startupMs: performance.now() - t0,
    nodeIds: specs.map((s) => s.nodeId),
    get online() { return running !== null; },
    setNodeFault(nodeId, kind) {
      lookup(nodeId).fault = kind;
      refresh();
    },
    setNodeOverride(nodeId, override) {
      lookup(nodeId).override = override;
      refresh();
    },
    refresh,
    async setOffline(offline) {
      if (stopped) throw new Error('chiller-plant OPC-UA server is stopped; start a new one');
      if (offline) await shutdown();
      else if (!running) await launch(port);
    },
    async stop() {
      stopped = true;
      await shutdown();
    },
  };
}
