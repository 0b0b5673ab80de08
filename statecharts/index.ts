/**
 * Public API of the fire statecharts (pure; see README.md). Everything the runtime needs is here.
 */
export { createZoneMachine, zoneMachine, MACHINE_VERSION, type ZoneMachine, type ZoneSnapshot, type ZoneActor } from './zone-machine.js';
export type {
  ZoneContext, ZoneEvent, ZoneInput, Effect, EffectType, HumanEvent, HumanFields, VoteEvent, FieldEvent, TimeEvent, SystemEvent,
  ActorRef, AlarmClass, Priority, Stage, ActuatorRecord, AlarmRecord, Bypass, Role,
} from './zone/types.js';
export { initialContext, eventTime, ZoneInputError } from './zone/context.js';
export { rejection as commandRejection, waterStopCriteria } from './zone/commands.js';
export { actuatorKind, isOneShot, feedbackTimeoutMs, confirms } from './zone/tx.js';
export { nozzlePhase, waterPhase, isolationOk } from './zone/stages.js';
export { requiredOutputs, reconcile, deriveStageFromField, voterEnvFor, designSuppression, type RequiredOutputs, type FieldView, type ReconcileCommand, type DerivedStage } from './outputs.js';
export { resolveParams, DEFAULT_PARAMS, FireParamsError, type FireParams, type PartialParams } from './params.js';
export * from './voter/index.js';
export * from './alarm-machine.js';
export { persistZone, restoreZone, SnapshotVersionError, type PersistedZone } from './persistence.js';
export { ZoneHarness, recordingMachine, EFFECT_TYPES } from './zone/harness.js';
export { toMermaid } from './diagram.js';
