/**
 * Adapter from the pure zone machine (statecharts/zone-machine.ts) to the runtime's port: the
 * machine's named effect actions are provided as collectors (no I/O inside xstate, so an error in
 * an effect handler can never leave the actor half-way), snapshots are restored with
 * `createActor(machine, { snapshot })`, and an actor in error status is reported to the runtime as
 * an exception (which restarts the zone through recovery, FS-38).
 */
import { createActor } from 'xstate';
import { isOneShot, MACHINE_VERSION, requiredOutputs, zoneMachine } from '../../statecharts/index.js';
import type { Effect, ZoneContext, ZoneEvent } from '../../statecharts/zone/types.js';
import type { RequiredOutput, ZoneActorPort, ZoneMachinePort } from './zone-port.js';

const EFFECTS: Effect['type'][] = [
  'journalIntent', 'journalOutcome', 'cmd', 'annunciate', 'notify', 'armDeadline', 'cancelDeadline', 'recordHandover', 'journalNote', 'commandResult',
];

export class ZoneActorError extends Error {
  constructor(zone: string, cause: unknown) {
    super(`zone ${zone}: machine stopped with an error: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ZoneActorError';
  }
}

export const statechartZoneMachine: ZoneMachinePort = {
  machineVersion: MACHINE_VERSION,
  create({ zone, racks, params, snapshot, onEffect }) {
    const actions = Object.fromEntries(EFFECTS.map((t) => [t, (_: unknown, p: Effect) => onEffect({ ...p, type: t } as Effect)]));
    const machine = zoneMachine.provide({ actions } as never);
    const input = { zone, racks, params: params as never };
    const actor = snapshot ? createActor(machine, { snapshot: snapshot as never, input }) : createActor(machine, { input });
    let failure: unknown = null;
    actor.subscribe({ error: (err) => { failure = err; } });
    actor.start();
    const check = () => {
      if (failure !== null || actor.getSnapshot().status === 'error') throw new ZoneActorError(zone, failure ?? actor.getSnapshot().error);
    };
    check();
    const port: ZoneActorPort = {
      send(e: ZoneEvent) { actor.send(e as never); check(); },
      context: () => actor.getSnapshot().context as ZoneContext,
      value: () => actor.getSnapshot().value,
      persisted: () => actor.getPersistedSnapshot(),
      requiredOutputs: (): RequiredOutput[] => Object.entries(requiredOutputs(actor.getSnapshot().context as ZoneContext))
        .map(([actuator, op]) => ({ actuator, op, ...(isOneShot(actuator) ? { oneShot: true } : {}) })),
      stop: () => actor.stop(),
    };
    return port;
  },
};
