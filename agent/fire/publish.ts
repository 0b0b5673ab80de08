/**
 * What the fire runtime publishes, and the port the agent provides for it. Events map onto the
 * MQTT contract's AgentEvent (`dcim/v1/{site}/{agent}/event`, never dropped by store-and-forward):
 * `fire.transition` (every state/stage change, with the voted inputs), `fire.actuation` (every
 * intent, attempt and outcome), `alarm` (annunciations, notifications, troubles), `fire.journal`
 * (journal repairs, recovery), `command.audit`. The retained state document goes to
 * `state/fire/{zone}`; command results to `cmd/result`.
 */
import type { CommandResult } from '../../lib/mqtt-contract.js';

export type FireEventKind = 'fire.transition' | 'fire.actuation' | 'alarm' | 'fire.journal' | 'command.audit' | 'drill';
export type Severity = 'P1' | 'P2' | 'P3' | 'P4' | 'info';

export interface FireEvent {
  kind: FireEventKind;
  ts: number;
  zone?: string;
  rack?: string;
  device?: string;
  severity?: Severity;
  message: string;
  data?: Record<string, unknown>;
}

export interface ZoneStateDoc {
  v: 1;
  zone: string;
  room: string;
  /** -1 idle/watch, 0..5 stages */
  stage: number;
  state: unknown;
  recovering: boolean;
  latched: Record<string, number | null>;
  affectedRacks: number[];
  deadlines: Record<string, number>;
  actuators: Record<string, unknown>;
  alarms: Record<string, unknown>;
  fdControl: unknown;
  lockoff: unknown;
  maintenance: unknown;
  bypasses: Record<string, unknown>;
  thermal: unknown;
  journal: { seq: number; hash: string };
  machineVersion: string;
  configHash: string;
  updatedAt: number;
}

export interface FirePublisher {
  publishEvent(e: FireEvent): void;
  publishState(zone: string, doc: ZoneStateDoc): void;
  publishCommandResult(r: CommandResult): void;
}

/** A publisher that keeps everything in memory (tests, and hosts without a broker). */
export class MemoryPublisher implements FirePublisher {
  readonly events: FireEvent[] = [];
  readonly states = new Map<string, ZoneStateDoc>();
  readonly results: CommandResult[] = [];
  publishEvent(e: FireEvent): void { this.events.push(e); }
  publishState(zone: string, doc: ZoneStateDoc): void { this.states.set(zone, doc); }
  publishCommandResult(r: CommandResult): void { this.results.push(r); }
}

export function priorityToSeverity(p: 1 | 2 | 3 | 4): Severity {
  return `P${p}` as Severity;
}

/** The agent's EventPublisher (agent/telemetry/events.ts), structurally. */
export interface AgentEventPublisherLike {
  publishEvent(e: FireEvent): number | void;
  publishState(key: string, doc: unknown): void;
}

/**
 * Adapt the agent's event publisher (events never dropped by store-and-forward) to the fire
 * runtime: state documents go to `state/fire/{zone}`, command results to the given function
 * (the agent publishes them on `cmd/result`).
 */
export function fromAgentPublisher(ep: AgentEventPublisherLike, publishCommandResult: (r: CommandResult) => void): FirePublisher {
  return {
    publishEvent: (e) => { ep.publishEvent(e); },
    publishState: (zone, doc) => ep.publishState(`fire/${zone}`, doc),
    publishCommandResult,
  };
}
