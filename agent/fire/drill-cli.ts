/**
 * `dcim drill NAME --sim URL [--socket PATH] [--zone Z] [--room R] [--rack N] [--max-s S] [--out FILE]`
 *
 * Runs a scenario of hardware-sim/scenarios/ against a running simulator (its control API) and a
 * running agent (its local fire socket) and prints a timed report (FS-29, DESIGN "drills"):
 * - when each stage's condition became true at the device (simulator truth: off-gas, probe and
 *   hot-spot ≥ 60 / 68 / 80 °C, patch fired);
 * - when the agent decided (stage transitions in its journal);
 * - when each command was written (simulator write log) and confirmed (agent journal outcome);
 * - the simulator's true peak temperature.
 * The same report is saved as JSON. Times: simulator seconds since the drill started, and agent
 * seconds since the drill started on the agent's clock (run the agent at the simulator's
 * time-scale so the two compare).
 */
import { writeFileSync } from 'node:fs';
import { parseCommandArgs, UsageError } from '../../lib/args.js';
import { resolveActuator } from './actuators.js';
import type { JournalRecord } from './journal.js';
import { DEFAULT_SOCKET } from './local-cli.js';
import { localRequest } from './local-control.js';

const USAGE = 'dcim drill NAME --sim URL [--socket PATH] [--zone Z] [--room BR1] [--rack N] [--max-s SIM_SECONDS] [--out FILE]';

export interface DrillReport {
  drill: string;
  room: string;
  rack: number;
  zone: string;
  startedAt: string;
  simSeconds: number;
  conditions: { condition: string; simS: number }[];
  decisions: { stage: number; state: unknown; event: string; agentS: number }[];
  commands: { point: string; value: unknown; writtenSimS: number; actuator?: string; confirmed?: boolean; confirmedAgentS?: number; latencyMs?: number }[];
  peak: { temperatureC: number; probeMaxC: number };
  finalStage: number;
}

interface RackT { index: number; temperatureC: number; probeAC: number; probeBC: number; offgas: boolean; smoke: boolean; patchFired: boolean; maxTemperatureC: number }
interface TruthT { simTimeS: number; timeScale: number; rooms: { id: string; zone: string; racks: RackT[] }[] }

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export async function runDrill(o: { name: string; simUrl: string; socket: string; zone?: string; room?: string; rack?: number; maxSimS?: number; pollMs?: number; log?: (s: string) => void }): Promise<DrillReport> {
  const sim = o.simUrl.replace(/\/$/, '');
  const state0 = (await localRequest(o.socket, 'GET', '/state')).body as { now: number; zones: { zone: string; room: string; stage: number }[] };
  const start = await getJson<{ target: { room: string; rack: number }; startedAtS: number }>(`${sim}/scenarios/${encodeURIComponent(o.name)}/start`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...(o.room ? { room: o.room } : {}), ...(o.rack ? { rack: o.rack } : {}) }),
  });
  const { room, rack } = start.target;
  const zoneDoc = state0.zones.find((z) => (o.zone ? z.zone === o.zone : z.room === room));
  if (!zoneDoc) throw new Error(`the agent has no fire zone for room ${room}${o.zone ? ` (zone ${o.zone})` : ''}`);
  const zone = zoneDoc.zone;
  const agentT0 = state0.now;
  const simT0 = start.startedAtS;
  const journalFrom = ((await localRequest(o.socket, 'GET', `/journal?zone=${zone}&after=0`)).body as { records: JournalRecord[] }).records.at(-1)?.seq ?? 0;
  const conditions = new Map<string, number>();
  let peak = { temperatureC: -Infinity, probeMaxC: -Infinity };
  let finalStage = zoneDoc.stage;
  let simNow = simT0;
  let cooledAfterIncident = false;
  const maxSimS = o.maxSimS ?? 1800;
  while (simNow - simT0 < maxSimS && !cooledAfterIncident) {
    const t = await getJson<TruthT>(`${sim}/truth?devices=0`);
    simNow = t.simTimeS;
    const rk = t.rooms.find((r) => r.id === room)?.racks.find((r) => r.index === rack);
    if (!rk) throw new Error(`the simulator has no rack ${rack} in room ${room}`);
    const probe = Math.max(rk.probeAC, rk.probeBC);
    peak = { temperatureC: Math.max(peak.temperatureC, rk.temperatureC, rk.maxTemperatureC), probeMaxC: Math.max(peak.probeMaxC, probe) };
    const mark = (name: string, cond: boolean) => { if (cond && !conditions.has(name)) { conditions.set(name, simNow - simT0); o.log?.(`  +${(simNow - simT0).toFixed(1)} s  device: ${name}`); } };
    mark('off-gas', rk.offgas);
    mark('smoke', rk.smoke);
    for (const th of [60, 68, 80]) { mark(`probe ≥ ${th} °C`, probe >= th); mark(`hot spot ≥ ${th} °C`, rk.temperatureC >= th); }
    mark('patch fired', rk.patchFired);
    const st = (await localRequest(o.socket, 'GET', '/state')).body as { zones: { zone: string; stage: number }[] };
    finalStage = st.zones.find((z) => z.zone === zone)?.stage ?? finalStage;
    // The drill ends when the rack has cooled well below its peak after the agent acted.
    cooledAfterIncident = finalStage >= 1 && peak.temperatureC > 60 && rk.temperatureC < Math.min(50, peak.temperatureC - 25);
    await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
  }
  const records = ((await localRequest(o.socket, 'GET', `/journal?zone=${zone}&after=${journalFrom}`)).body as { records: JournalRecord[] }).records;
  const agentS = (ts: number) => Math.round((ts - agentT0) / 10) / 100;
  let lastStage = zoneDoc.stage;
  const decisions: DrillReport['decisions'] = [];
  for (const r of records) {
    if (r.type !== 'transition') continue;
    const stage = Number(r.data.stage);
    if (stage !== lastStage) decisions.push({ stage, state: r.data.to, event: String(r.data.event), agentS: agentS(r.ts) });
    lastStage = stage;
  }
  const writesText = await (await fetch(`${sim}/writes`)).text();
  const fireDevice = `fire-${room.toLowerCase()}`;
  const writes = writesText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { simTimeS: number; who: string; device: string; point?: string; value: unknown })
    .filter((w) => w.simTimeS >= simT0 && w.device === fireDevice && w.who.startsWith('modbus'));
  const outcomes = records.filter((r) => r.type === 'outcome');
  const used = new Set<number>();
  const commands: DrillReport['commands'] = writes.map((w) => {
    const c: DrillReport['commands'][number] = { point: w.point ?? '?', value: w.value, writtenSimS: Math.round((w.simTimeS - simT0) * 100) / 100 };
    const oc = outcomes.find((x) => !used.has(x.seq) && pointOf(x) === w.point);
    if (oc) {
      used.add(oc.seq);
      c.actuator = String(oc.data.actuator);
      c.confirmed = oc.data.ok === true;
      c.confirmedAgentS = agentS(oc.ts);
      c.latencyMs = Number(oc.data.latencyMs);
    }
    return c;
  });
  return {
    drill: o.name, room, rack, zone, startedAt: new Date().toISOString(), simSeconds: Math.round((simNow - simT0) * 10) / 10,
    conditions: [...conditions].map(([condition, simS]) => ({ condition, simS: Math.round(simS * 100) / 100 })),
    decisions, commands, peak: { temperatureC: round1(peak.temperatureC), probeMaxC: round1(peak.probeMaxC) }, finalStage,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function pointOf(r: JournalRecord): string | null {
  try { return resolveActuator(String(r.data.actuator), String(r.data.op)).point; } catch { return null; }
}

export function formatDrill(r: DrillReport): string {
  const l: string[] = [`drill ${r.drill}: room ${r.room} rack ${r.rack} (zone ${r.zone}), ${r.simSeconds} sim s, final stage ${r.finalStage}`];
  l.push('', 'condition at the device        sim s');
  for (const c of r.conditions) l.push(`  ${c.condition.padEnd(28)} ${c.simS.toFixed(1).padStart(7)}`);
  l.push('', 'agent decision                 agent s');
  for (const d of r.decisions) l.push(`  stage ${String(d.stage).padEnd(3)} (${d.event})`.padEnd(31) + d.agentS.toFixed(1).padStart(8));
  l.push('', 'command                                  written (sim s)  confirmed (agent s)  latency ms');
  for (const c of r.commands) l.push(`  ${`${c.point}=${String(c.value)}`.padEnd(40)} ${c.writtenSimS.toFixed(1).padStart(14)}  ${c.confirmed === undefined ? '—'.padStart(19) : `${c.confirmed ? 'yes' : 'NO'} ${c.confirmedAgentS!.toFixed(1)}`.padStart(19)}  ${c.latencyMs === undefined ? '' : String(Math.round(c.latencyMs)).padStart(10)}`);
  l.push('', `true peak temperature: ${r.peak.temperatureC} °C (hot spot), ${r.peak.probeMaxC} °C (probes)`);
  return `${l.join('\n')}\n`;
}

export async function run(args: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let p;
  try {
    p = parseCommandArgs(args, { sim: { type: 'string' }, socket: { type: 'string' }, zone: { type: 'string' }, room: { type: 'string' }, rack: { type: 'string' }, 'max-s': { type: 'string' }, out: { type: 'string' } }, USAGE);
    if (p.positionals.length !== 1) throw new UsageError(`expected one scenario NAME\nusage: ${USAGE}`);
    if (!p.values.sim) throw new UsageError(`--sim URL is required (the simulator's control URL, printed by dcim sim)\nusage: ${USAGE}`);
  } catch (e) {
    err(`${(e as Error).message}\n`);
    return 2;
  }
  const v = p.values;
  try {
    const report = await runDrill({
      name: p.positionals[0]!, simUrl: v.sim!, socket: v.socket ?? process.env.DCIM_FIRE_SOCKET ?? DEFAULT_SOCKET,
      zone: v.zone, room: v.room, rack: v.rack ? Number(v.rack) : undefined, maxSimS: v['max-s'] ? Number(v['max-s']) : undefined, log: out,
    });
    const file = v.out ?? `drill-${report.drill}-${report.startedAt.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    out(formatDrill(report));
    out(`report saved: ${file}\n`);
    return 0;
  } catch (e) {
    err(`dcim drill: ${(e as Error).message}\n`);
    return 1;
  }
}
