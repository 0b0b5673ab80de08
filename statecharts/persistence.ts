/**
 * Snapshot persistence (FS-30, R51c): `actor.getPersistedSnapshot()` stored with the machine
 * version and the config hash; a snapshot of another version or config is not restored (the
 * runtime then reconstructs from the field, FS-31 step 7). Restored actors get no entry actions
 * replayed: the runtime reconciles outputs and re-arms deadlines from `context.deadlines`.
 */
import { createActor, type Snapshot } from 'xstate';
import { MACHINE_VERSION, type ZoneActor, type ZoneMachine } from './zone-machine.js';

export interface PersistedZone {
  machineVersion: string;
  configHash: string;
  zone: string;
  snapshot: Snapshot<unknown>;
}

export class SnapshotVersionError extends Error {
  constructor(message: string) {
    super(`${message}: not restored; reconstruct the zone from the field (FS-31 step 7)`);
    this.name = 'SnapshotVersionError';
  }
}

export function persistZone(actor: ZoneActor, configHash: string): PersistedZone {
  const snap = actor.getSnapshot();
  return { machineVersion: MACHINE_VERSION, configHash, zone: snap.context.zone, snapshot: actor.getPersistedSnapshot() };
}

/**
 * Restore a zone actor (not started). Throws SnapshotVersionError on a version or config mismatch
 * or a snapshot that is not a zone snapshot; options (e.g. `inspect`) pass through.
 */
export function restoreZone(
  machine: ZoneMachine,
  persisted: PersistedZone,
  configHash: string,
  options: { inspect?: (e: unknown) => void; id?: string } = {},
): ZoneActor {
  if (!persisted || typeof persisted !== 'object') throw new SnapshotVersionError('no snapshot');
  if (persisted.machineVersion !== MACHINE_VERSION) throw new SnapshotVersionError(`snapshot of ${persisted.machineVersion}, machine is ${MACHINE_VERSION}`);
  if (persisted.configHash !== configHash) throw new SnapshotVersionError(`snapshot taken under config ${persisted.configHash}, running ${configHash}`);
  const s = persisted.snapshot as { status?: string; value?: unknown; context?: { zone?: string } };
  if (!s || s.status !== 'active' || !s.value || s.context?.zone !== persisted.zone) throw new SnapshotVersionError('snapshot is not an active zone snapshot');
  return createActor(machine, { ...(options as object), snapshot: persisted.snapshot } as never) as ZoneActor;
}
