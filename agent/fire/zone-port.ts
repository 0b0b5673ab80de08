/**
 * What the runtime needs from the pure zone machine (statecharts/): one running actor per zone,
 * created fresh or from a persisted snapshot, fed events, reporting its effects synchronously,
 * exposing its context, persisted snapshot and the outputs its latched state requires.
 * `zone-machine.ts` adapts the statecharts package to this port; tests may use it directly.
 */
import type { Effect, ZoneContext, ZoneEvent } from '../../statecharts/zone/types.js';

export interface RequiredOutput {
  actuator: string;
  op: string;
  /** one-shot release (nozzle, gas): only if the field shows not discharged (FS-31 step 4) */
  oneShot?: boolean;
}

export interface ZoneActorPort {
  send(e: ZoneEvent): void;
  context(): ZoneContext;
  /** JSON-serialisable state value (for the state document and transition records). */
  value(): unknown;
  persisted(): unknown;
  /** Outputs the latched state requires now (reconcile compares them with the field). */
  requiredOutputs(): RequiredOutput[];
  stop(): void;
}

export interface ZoneMachinePort {
  readonly machineVersion: string;
  /**
   * Create and start the zone's actor. `snapshot` is a persisted snapshot already checked for
   * version and config hash, or null for a fresh actor (which starts in `recovering`).
   * `onEffect` is called synchronously for every effect of every event.
   */
  create(o: { zone: string; racks: number[]; params: unknown; snapshot: unknown | null; now: number; onEffect: (e: Effect) => void }): ZoneActorPort;
}
