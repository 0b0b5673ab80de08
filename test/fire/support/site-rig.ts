/**
 * The product end to end for the fire requirement tests (`test/fire/site/`): the simulated site
 * (hardware-sim: fire I/O, BMS and thermal camera of battery room BR1 with their physics and
 * faults), a real Mosquitto, and the whole edge agent (`createAgent`, fire runtime inside) reading
 * the simulator over Modbus TCP and MQTT and writing its coils back. Nothing is in-process but
 * sockets: the agent sees what a field installation would.
 *
 * Inputs are driven the way a test bench would drive them: through the simulator's fault
 * injection (`force` = a `stuck` fault holding a point at a value, `input` = a room input held,
 * `fault` = any §4 failure mode) or through its physics (`scenario`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent } from '../../../agent/agent.js';
import { fromSim } from '../../../agent/config/from-sim.js';
import { resolveAgentConfig } from '../../../agent/config/load.js';
import { buildLocalCommand } from '../../../agent/fire/local-cli.js';
import { localRequest, readKeyFile } from '../../../agent/fire/local-control.js';
import type { JournalRecord } from '../../../agent/fire/journal.js';
import type { ZoneRuntime } from '../../../agent/fire/zone-runtime.js';
import { silentLogger } from '../../../lib/log.js';
import type { CommandKind, Role } from '../../../lib/mqtt-contract.js';
import { startSimulator, type FaultSpec, type SimHandle, type WriteEntry } from '../../../hardware-sim/index.js';
import { collect, type Collected } from '../../agent/helpers.js';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.js';
import { waitFor } from '../../support/ports.js';

export interface SiteRigOptions {
  /** Battery racks in BR1 (default 3). */
  racks?: number;
  /** Merged into the agent's `fire` section (thresholds, timings, feedback, recovery, ...). */
  fire?: { thresholds?: object; timings?: object; feedback?: object; recovery?: object; [k: string]: unknown };
  /** Simulator site overrides (e.g. `{ actuators: { curtainS: 1 } }`, `{ thermal: {...} }`). */
  site?: Record<string, unknown>;
  /** Sim seconds per wall second (default 1). The agent always runs on the wall clock. */
  timeScale?: number;
  /** Agent poll groups (default fast 100 ms, normal 500 ms, slow 5 s). */
  pollGroups?: Record<string, number>;
  /** Also read the thermal camera cam-br1 over MQTT (default true). */
  camera?: boolean;
  /** Reuse this data dir (restart tests); default a fresh temp dir removed at close. */
  dataDir?: string;
  /** UPS zones / battery rooms in the simulator (default 1); the agent runs one fire zone per room (z1 = BR1, z2 = BR2, ...). */
  zones?: number;
}

export interface SiteRig {
  sim: SimHandle;
  broker: Mosquitto;
  agent: Agent;
  /** The agent's subscriber view: events (never dropped), retained state/fire/{zone}. */
  sub: Collected;
  dataDir: string;
  /** The zone runtime of z1 (BR1), or of another zone (`zone('z2')` with `zones: 2`). */
  zone(id?: string): ZoneRuntime;
  stage(): number;
  journal(): JournalRecord[];
  /** Hold a fire I/O point of BR1 at a value (simulator `stuck` fault); replaces an earlier force of the same point. */
  force(point: string, value: number | boolean, device?: string): Promise<void>;
  /** Let a forced point follow the physics again. */
  unforce(point: string, device?: string): void;
  /** Hold a room input of BR1: abort, abort.circuit.ok, manual.release, lockoff, smoke. */
  input(input: 'abort' | 'abort.circuit.ok' | 'manual.release' | 'lockoff' | 'smoke', value: boolean, room?: string): Promise<void>;
  /** Inject any simulator fault (FIRE-SAFETY.md §4); resolves to its id. */
  fault(spec: FaultSpec): Promise<string>;
  /** Coil writes the simulator received from the agent on fire-br1, in order, as `point=0|1`. */
  writes(): string[];
  /** The raw write log entries of fire-br1 (wall ts, sim time, who). */
  writeLog(): WriteEntry[];
  /** A signed operator command over the agent's local control socket (FS-32); resolves to the edge's answer. */
  command(kind: CommandKind, o?: { actors?: { user: string; role: Role }[]; reason?: string; target?: string; args?: Record<string, unknown>; zone?: string }): Promise<{ ok: boolean; status?: string; reason?: string; [k: string]: unknown }>;
  until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs?: number): Promise<T>;
  /**
   * Wait until a zone (default: every zone the agent runs) has finished recovery (FS-31) and its
   * life is `operational` (not recovering, maintenance or drill): nothing is voted or commanded before.
   */
  operational(zone?: string, timeoutMs?: number): Promise<void>;
  /** Stop the agent only (a crash or restart test starts a new one on the same data dir with `restartAgent`). */
  stopAgent(): Promise<void>;
  restartAgent(): Promise<void>;
  close(): Promise<void>;
}

const KEEP = new Set(['fire-br1', 'bms-br1', 'cam-br1']);

export async function startSiteRig(o: SiteRigOptions = {}): Promise<SiteRig> {
  const racks = o.racks ?? 3;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => { for (const c of cleanups.splice(0).reverse()) { try { await c(); } catch { /* keep closing */ } } };
  try {
    const broker = await startMosquitto();
    cleanups.push(async () => { await broker.stop(); rmSync(broker.dir, { recursive: true, force: true }); });
    const sim = await startSimulator({
      opcuaEnabled: false, timeScale: o.timeScale ?? 1, brokerUrl: broker.url,
      config: { zones: o.zones ?? 1, racksPerRoom: racks, serverRooms: 1, pduRacks: 1, ...(o.site ?? {}) },
    });
    cleanups.push(() => sim.stop());
    const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'dcim-site-rig-'));
    if (!o.dataDir) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const keep = new Set(KEEP);
    for (let z = 2; z <= (o.zones ?? 1); z++) for (const d of ['fire', 'bms', 'cam']) keep.add(`${d}-br${z}`);
    if (o.camera === false) for (const d of [...keep]) if (d.startsWith('cam-')) keep.delete(d);
    const raw = fromSim(sim.endpoints.filter((e) => keep.has(e.id)), {
      brokerUrl: broker.url, dataDir, fire: true, agent: 'edge-1',
      pollGroups: o.pollGroups ?? { fast: 100, normal: 500, slow: 5000 },
    }) as { fire: { zones: Record<string, unknown>[]; [k: string]: unknown } };
    const f = o.fire ?? {};
    raw.fire = {
      ...raw.fire,
      ...f,
      thresholds: { ...(f.thresholds ?? {}) },
      timings: { onDelayMs: 1000, nozzlePreDischargeMs: 1000, ...(f.timings ?? {}) },
      feedback: { breakerMs: 3000, curtainMs: 15000, dischargeMs: 5000, waterMs: 10000, hvacMs: 15000, ...(f.feedback ?? {}) },
      recovery: { fieldReadTimeoutMs: 5000, ...(f.recovery ?? {}) },
    };
    const loaded = resolveAgentConfig(raw);
    const sub = await collect(broker.url, 'sim1', 'edge-1');
    cleanups.push(() => sub.close());
    let agent = createAgent({ loaded, log: silentLogger, buffer: 'memory' });
    let running = false;
    const stopAgent = async () => { if (running) { running = false; await agent.stop(); } };
    await agent.start();
    running = true;
    cleanups.push(stopAgent);
    const forced = new Map<string, string>();
    const zone = (id = 'z1') => {
      const z = agent.fire?.zones.get(id);
      if (!z) throw new Error(`the agent runs no fire zone ${id}`);
      return z;
    };
    const fireWrites = () => sim.sim.writes.list().filter((w) => w.device === 'fire-br1' && w.point !== undefined);
    const rig: SiteRig = {
      sim, broker, agent, sub, dataDir,
      zone,
      stage: () => zone().stateDoc().stage,
      journal: () => zone().journal.readAll(),
      async force(point, value, device = 'fire-br1') {
        const key = `${device}\u0000${point}`;
        const old = forced.get(key);
        const id = await sim.injectFault({ kind: 'stuck', device, point, value });
        forced.set(key, id);
        if (old) sim.clearFault(old);
      },
      unforce(point, device = 'fire-br1') {
        const key = `${device}\u0000${point}`;
        const id = forced.get(key);
        if (id) sim.clearFault(id);
        forced.delete(key);
      },
      async input(input, value, room = 'BR1') { await sim.injectFault({ kind: 'input', room, input, value }); },
      fault: (spec) => sim.injectFault(spec),
      writes: () => fireWrites().map((w) => `${w.point}=${w.value === true || w.value === 1 ? 1 : 0}`),
      writeLog: fireWrites,
      async command(kind, c = {}) {
        const socket = join(dataDir, 'fire', 'fire.sock');
        const key = readKeyFile(join(dataDir, 'fire', 'local.key'));
        const cmd = buildLocalCommand({
          kind, zone: c.zone ?? 'z1', actors: c.actors ?? [{ user: 'ann', role: 'operator' }], key,
          ...(c.reason ? { reason: c.reason } : {}), ...(c.target ? { target: c.target } : {}), ...(c.args ? { args: c.args } : {}),
        });
        return (await localRequest(socket, 'POST', '/cmd', cmd)).body as { ok: boolean; status?: string; reason?: string };
      },
      until: (probe, what, timeoutMs = 20_000) => waitFor(probe, { what, timeoutMs, intervalMs: 50 }),
      async operational(id, timeoutMs) {
        const ids = id !== undefined ? [id] : [...(agent.fire?.zones.keys() ?? [])];
        if (ids.length === 0) throw new Error('the agent runs no fire zone');
        const ready = (z: string) => !zone(z).isRecovering && (zone(z).stateDoc().state as { life?: string } | null)?.life === 'operational';
        await rig.until(() => ids.every(ready) || undefined, `zone ${ids.join(', ')} operational`, timeoutMs);
      },
      stopAgent,
      async restartAgent() {
        await stopAgent();
        agent = createAgent({ loaded, log: silentLogger, buffer: 'memory' });
        rig.agent = agent;
        await agent.start();
        running = true;
      },
      close,
    };
    return rig;
  } catch (err) {
    await close();
    throw err;
  }
}
