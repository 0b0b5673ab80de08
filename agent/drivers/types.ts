/**
 * The contract between the agent's runtime and its drivers (STYLE.md lessons 1, 2, 5, 11).
 *
 * - A driver is constructed with its validated device config only: constructors store
 *   arguments and open nothing. `start(ctx)` connects and begins polling/subscribing; `stop()`
 *   closes everything and resolves when no timer or socket is left.
 * - Drivers return raw typed readings; ONE normaliser (agent/points/normalise.ts) applies scale,
 *   offset, mappings, range checks and quality. Drivers never scale.
 * - Failures are readings too: a timeout or exception becomes a RawReading with `error`, so the
 *   normaliser turns it into a bad-quality point with a reason; drivers never throw into the runtime.
 */
import type { Logger } from '../../lib/log.js';

export type RawScalar = number | bigint | boolean | string | null;

export interface RawReading {
  /** Device id (installation). */
  device: string;
  /** Point name after profile expansion (e.g. rack.3.module.5.temperature.max). */
  point: string;
  raw: RawScalar;
  /** Source timestamp ms (device time when available, else time of the read). */
  ts: number;
  /** Set when the value could not be read: timeout, comm_failure, exception_<code>, parse_error, opcua_<StatusCode>, ... */
  error?: string;
  /** Quality the source itself asserts (OPC-UA Uncertain, a sensor fault flag), when not an error. */
  sourceQuality?: 'good' | 'uncertain' | 'bad';
}

export interface Clock {
  /** Wall-clock ms since epoch (timestamps). */
  now(): number;
  /** Monotonic ms (intervals, deadlines). */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

export interface DriverContext {
  log: Logger;
  clock: Clock;
  /** Deliver one poll cycle's readings (or one subscription notification). Called synchronously. */
  sink(readings: RawReading[]): void;
  /** Count an event by reason (exported on /metrics). */
  count(metric: string, labels?: Record<string, string>): void;
  /** Record a measurement, e.g. observe('poll_duration_ms', 12.5, { device }) (exported on /metrics as a summary). Optional. */
  observe?(metric: string, value: number, labels?: Record<string, string>): void;
}

export interface WriteRequest {
  device: string;
  point: string;
  value: number | boolean;
}

export interface WriteResult {
  ok: boolean;
  /** Value read back after the write (actuators verify with feedback points, not only this). */
  readBack?: RawScalar;
  error?: string;
}

export type DeviceLinkState = 'connecting' | 'up' | 'down';

export interface Driver {
  readonly deviceId: string;
  start(ctx: DriverContext): Promise<void>;
  stop(): Promise<void>;
  /** Write a coil/register (Modbus) or node (OPC-UA) with read-back. Optional per protocol. */
  write?(req: WriteRequest): Promise<WriteResult>;
  /** Current link state, for /healthz and device status events. */
  linkState(): DeviceLinkState;
}
