/**
 * Drills in the demo: a drill recorded by the server (POST /api/drills from the console, or
 * `dcim drill`) starts its scenario in the simulator, so the whole chain runs for real — sensors,
 * edge voting and actuation, alarms, incident — tagged `drill`. While it runs the simulator
 * goes at the drill time-scale; when the fire zone is controlled (or the scenario's time is up)
 * the drill is ended with a timed report and the simulator returns to its calm time-scale.
 *
 * Also serves GET /api/drills/scenarios (the scenario files the simulator knows).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/log.js';
import { listScenarios, type SimHandle } from '../../hardware-sim/index.js';
import { loadScenario } from '../../hardware-sim/scenario.js';
import type { Ops } from '../ops.js';
import type { Drill } from '../incidents/drills.js';

export interface DrillRunnerOptions {
  ops: Ops;
  sim: SimHandle;
  calmTimeScale: number;
  drillTimeScale: number;
  log: Logger;
  /** Sim seconds after the scenario's last step before a drill that never settles is ended. */
  settleS?: number;
}

export interface DrillStep { tS: number; simS: number; kind: string; stage?: string; message: string; rack?: string }
export interface ActiveDrill { id: string; scenario: string; zone: string; room: string; rack: number; startedAt: number; simStartS: number; steps: DrillStep[]; timer: NodeJS.Timeout }
export interface DrillRunner { active(): ActiveDrill[]; stop(): void }

/** Stages after which the fire zone is back under control: the drill has shown what it had to. */
const SETTLED = new Set(['controlled', 'postIncidentWatch', 'awaitingReset', 'fdControl']);

export const drillScenarioRoutes = async (app: FastifyInstance) => {
  app.get('/api/drills/scenarios', {
    schema: {
      tags: ['drills'], summary: 'Drill scenarios the simulated site can run (POST /api/drills {scenario, zone?} starts one)',
      response: { 200: Type.Array(Type.Object({ name: Type.String(), description: Type.String(), room: Type.Optional(Type.String()), rack: Type.Optional(Type.Integer()) })) },
    },
  }, async () => listScenarios().map((name) => {
    const s = loadScenario(name);
    return { name, description: (s.description ?? '').trim(), ...(s.target?.room ? { room: s.target.room } : {}), ...(s.target?.rack ? { rack: s.target.rack } : {}) };
  }));
};

const zoneOfRoom = (room: string) => `z${room.replace(/^\D+/, '')}`;
const roomOfZone = (zone: string) => `BR${zone.replace(/^\D+/, '')}`;

export function attachDrillRunner(o: DrillRunnerOptions): DrillRunner {
  const { ops, sim, log } = o;
  const running = new Map<string, ActiveDrill>();

  const finish = (d: ActiveDrill, outcome: string) => {
    clearTimeout(d.timer);
    running.delete(d.id);
    if (!running.size) sim.setTimeScale(o.calmTimeScale);
    const fz = ops.fire.get(ops.site, d.zone);
    const alarms = ops.alarms.list({ zone: d.zone }).filter((a) => (a.firstAt ?? 0) >= d.startedAt);
    const firstAlarm = Math.min(...alarms.map((a) => a.firstAt ?? Infinity));
    const firstAck = Math.min(...alarms.map((a) => a.ackedAt ?? Infinity));
    const rel = (ts: number) => (Number.isFinite(ts) ? Math.round((ts - d.startedAt) / 100) / 10 : null);
    const report = {
      scenario: d.scenario, zone: d.zone, room: d.room, rack: d.rack, outcome, timeScale: o.drillTimeScale,
      durationS: rel(ops.now()), simDurationS: Math.round(sim.sim.model.now - d.simStartS),
      maxStage: fz?.maxStage ?? null, finalStage: fz?.stage ?? null,
      firstAlarmS: rel(firstAlarm), firstAckS: rel(firstAck), alarms: alarms.length,
      steps: d.steps,
    };
    try { ops.drills.end(d.id, report); } catch (err) { log.warn({ err: (err as Error).message, drill: d.id }, 'drill already ended'); }
    log.info({ drill: d.id, outcome }, 'drill finished');
  };

  const start = (drill: Drill) => {
    if (running.has(drill.id) || drill.by.startsWith('agent:')) return;
    let scenario;
    try { scenario = loadScenario(drill.scenario); } catch (err) {
      log.warn({ drill: drill.id, err: (err as Error).message }, 'drill scenario unknown: recorded only');
      return;
    }
    const room = drill.zone ? roomOfZone(drill.zone) : scenario.target?.room ?? 'BR1';
    const rack = scenario.target?.rack ?? 1;
    const zone = drill.zone ?? zoneOfRoom(room);
    sim.setTimeScale(o.drillTimeScale);
    const run = sim.startScenario(drill.scenario, { room, rack });
    const lastStepS = Math.max(0, ...scenario.steps.map((s) => s.at));
    const limitMs = ((lastStepS + (o.settleS ?? 1800)) / o.drillTimeScale) * 1000;
    const d: ActiveDrill = { id: drill.id, scenario: drill.scenario, zone, room, rack, startedAt: drill.startedAt, simStartS: run.startedAtS, steps: [], timer: setTimeout(() => finish(d, 'time limit reached'), limitMs) };
    d.timer.unref();
    running.set(d.id, d);
    log.info({ drill: d.id, scenario: d.scenario, room, rack, timeScale: o.drillTimeScale }, 'drill scenario started in the simulator');
  };

  const off = ops.bus.on((m) => {
    if (m.topic === 'incident' && typeof m.data.change === 'string' && m.data.change.startsWith('drill-')) {
      const drill = m.data.drill as unknown as Drill;
      if (m.data.change === 'drill-start') start(drill);
      else if (m.data.change === 'drill-end') { const d = running.get(drill.id); if (d) { clearTimeout(d.timer); running.delete(d.id); if (!running.size) sim.setTimeScale(o.calmTimeScale); } }
      return;
    }
    if (m.topic !== 'fire') return;
    for (const d of running.values()) {
      if (m.data.zone !== d.zone) continue;
      const e = m.data.entry as { ts: number; kind: string; stage?: string; message: string; rack?: string } | undefined;
      if (!e) continue;
      d.steps.push({ tS: Math.round((e.ts - d.startedAt) / 100) / 10, simS: Math.round(sim.sim.model.now - d.simStartS), kind: e.kind, ...(e.stage ? { stage: e.stage } : {}), message: e.message, ...(e.rack ? { rack: e.rack } : {}) });
      if (d.steps.length > 200) d.steps.shift();
      const stage = String(m.data.stage ?? '');
      if (SETTLED.has(stage) && Number(m.data.maxStage ?? -1) >= 1) finish(d, `zone ${d.zone} ${stage}`);
    }
  });

  return {
    active: () => [...running.values()],
    stop() {
      off();
      for (const d of running.values()) clearTimeout(d.timer);
      running.clear();
    },
  };
}
