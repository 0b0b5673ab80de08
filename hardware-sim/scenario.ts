/**
 * Scenarios: YAML timelines in hardware-sim/scenarios/ (TypeBox schema, errors name
 * file:line:col key). Each step runs at a sim time relative to the scenario start and does one
 * thing: start a heat source, inject or clear a fault, set a room's state of charge, or command
 * the chiller plant. `target` gives the default room/rack, overridable when starting.
 */
import { Type, type Static } from '@sinclair/typebox';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfigFile } from '../lib/config/load.js';
import { FaultSpec } from './fault-spec.js';
import { SOURCE_PROFILES } from './physics/heat-source.js';
import type { SiteModel } from './site-model.js';

const At = Type.Number({ minimum: 0, description: 'sim seconds after the scenario starts' });
const Note = Type.Optional(Type.String());
const RoomOpt = Type.Optional(Type.String({ pattern: '^BR[0-9]+$' }));
const RackOpt = Type.Optional(Type.Integer({ minimum: 1, maximum: 100 }));

export const ScenarioStep = Type.Union([
  Type.Object({ at: At, note: Note, heat: Type.Object({ room: RoomOpt, rack: RackOpt, profile: Type.Union([Type.Literal('slow'), Type.Literal('fast')]), module: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })) }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ at: At, note: Note, fault: FaultSpec, label: Type.Optional(Type.String({ description: 'name for a later clear step' })) }, { additionalProperties: false }),
  Type.Object({ at: At, note: Note, clear: Type.String({ description: 'label of an earlier fault step' }) }, { additionalProperties: false }),
  Type.Object({ at: At, note: Note, soc: Type.Object({ room: RoomOpt, pct: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ at: At, note: Note, chiller: Type.Object({ index: Type.Integer({ minimum: 1 }), action: Type.Union(['trip', 'restore', 'start', 'stop'].map((a) => Type.Literal(a))) }, { additionalProperties: false }) }, { additionalProperties: false }),
]);
export type ScenarioStep = Static<typeof ScenarioStep>;

export const Scenario = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    description: Type.String(),
    target: Type.Optional(Type.Object({ room: Type.String({ pattern: '^BR[0-9]+$' }), rack: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false })),
    /** What a test or drill should check (documentation; the tests assert it). */
    expect: Type.Optional(Type.Array(Type.String())),
    steps: Type.Array(ScenarioStep, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type Scenario = Static<typeof Scenario>;

export class ScenarioError extends Error {
  constructor(message: string) { super(message); this.name = 'ScenarioError'; }
}

export const SCENARIOS_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

export function listScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

export function loadScenario(name: string): Scenario {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !listScenarios().includes(name)) {
    throw new ScenarioError(`unknown scenario '${name}' (have ${listScenarios().join(', ')})`);
  }
  const file = join(SCENARIOS_DIR, `${name}.yaml`);
  const s = loadConfigFile(file, Scenario);
  if (s.name !== name) throw new ScenarioError(`${file}: name '${s.name}' differs from the file name`);
  return s;
}

export interface ScenarioTarget { room?: string; rack?: number }

export interface ScenarioHooks {
  injectFault(spec: unknown): Promise<string>;
  clearFault(id: string): boolean;
  onError(step: ScenarioStep, err: Error): void;
}

/** Schedule every step of a scenario on the model, starting now. */
export function scheduleScenario(model: SiteModel, scenario: Scenario, target: ScenarioTarget, hooks: ScenarioHooks): { startedAtS: number } {
  const t0 = model.now;
  const room = target.room ?? scenario.target?.room ?? 'BR1';
  const rack = target.rack ?? scenario.target?.rack ?? 1;
  model.room(room).rack(rack); // validate now, not at step time
  const labels = new Map<string, Promise<string>>();
  for (const [i, step] of scenario.steps.entries()) {
    const label = `${scenario.name}#${i}${step.note ? ` ${step.note}` : ''}`;
    model.at(t0 + step.at, label, () => {
      try {
        if ('heat' in step) {
          model.room(step.heat.room ?? room).rack(step.heat.rack ?? rack).startSource(SOURCE_PROFILES[step.heat.profile], model.now, step.heat.module);
        } else if ('fault' in step) {
          const spec = { ...step.fault } as Record<string, unknown>;
          if ('room' in spec && spec.room === undefined) spec.room = room;
          const p = hooks.injectFault(spec);
          p.catch((err: Error) => hooks.onError(step, err));
          if (step.label) labels.set(step.label, p);
        } else if ('clear' in step) {
          const p = labels.get(step.clear);
          if (!p) throw new ScenarioError(`clear: no earlier fault labelled '${step.clear}'`);
          void p.then((id) => hooks.clearFault(id), () => undefined);
        } else if ('soc' in step) {
          for (const r of model.room(step.soc.room ?? room).racks) r.soc = step.soc.pct;
        } else if ('chiller' in step) {
          const c = step.chiller;
          if (c.action === 'trip') model.plant.tripChiller(c.index);
          else if (c.action === 'restore') model.plant.restoreChiller(c.index);
          else if (c.action === 'start') model.plant.startChiller(c.index);
          else model.plant.stopChiller(c.index);
        }
      } catch (err) {
        hooks.onError(step, err as Error);
      }
    });
  }
  return { startedAtS: t0 };
}
