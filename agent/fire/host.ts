/**
 * A fire-only edge host: the fire runtime with its own Modbus links to the fire I/O devices and
 * an optional MQTT side, without the rest of the agent. It runs the fire response alone over
 * real sockets for the requirement tests, drills, the latency bench and the SIGKILL suite
 * (`host-main.ts` runs it as a child process). The full agent embeds FireRuntime instead and
 * gives it the Modbus driver, its point stream and its store-and-forward publisher.
 */
import { Value } from '@sinclair/typebox/value';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../lib/log.js';
import type { Point } from '../../lib/points.js';
import type { WriteResult } from '../drivers/types.js';
import type { FireIoPort } from './actuation.js';
import { scaledTimerHost, systemTimerHost, type TimerHost } from './clock.js';
import { FireConfig } from './config-schema.js';
import { ModbusFireIo } from './modbus-io.js';
import type { FireMqttPublisher } from './mqtt-publisher.js';
import { MemoryPublisher, type FirePublisher } from './publish.js';
import { FireRuntime } from './runtime.js';
import { statechartZoneMachine } from './zone-machine.js';
import type { ZoneMachinePort } from './zone-port.js';
import type { Effect } from '../../statecharts/zone/types.js';

export const DEFAULT_FIRE_PROFILE = fileURLToPath(new URL('../profiles/sim-fire-io.yaml', import.meta.url));

export interface FireHostDevice { id: string; host: string; port: number; unitId?: number; racks: number; profileFile?: string }

export interface FireHostConfig {
  site: string;
  agent: string;
  journalDir: string;
  /** Raw fire config; defaults are filled and it is validated against FireConfig. */
  fire: unknown;
  devices: FireHostDevice[];
  pollMs: number;
  broker?: string;
  /** Runs the agent's clock this many times faster than real time (against a simulator at the same scale). */
  timeScale?: number;
  /** Real instant (ms since epoch) the scaled clock is anchored at; the same across restarts. */
  timeAnchor?: number;
  commandKey?: string;
  socket?: string | false;
}

export class FireHostConfigError extends Error {
  constructor(message: string) { super(`fire host config: ${message}`); this.name = 'FireHostConfigError'; }
}

export interface FireHost {
  runtime: FireRuntime;
  clock: TimerHost;
  publisher: FirePublisher;
  mqtt: FireMqttPublisher | null;
  ios: ModbusFireIo[];
  /** Called with each poll cycle's points and timing (bench, drills). */
  onCycle: ((points: Point[], cycle: { startedAt: number; endedAt: number }) => void) | null;
  stop(): Promise<void>;
}

export function validateFireConfig(raw: unknown): FireConfig {
  const cfg = Value.Default(FireConfig, structuredClone(raw)) as FireConfig;
  if (!Value.Check(FireConfig, cfg)) {
    const e = [...Value.Errors(FireConfig, cfg)][0];
    throw new FireHostConfigError(`${e?.path ?? ''} ${e?.message ?? 'invalid'}`);
  }
  return cfg;
}

export async function startFireHost(c: FireHostConfig, opts: { machine?: ZoneMachinePort; log?: Logger; publisher?: FirePublisher; onEffect?: (zone: string, e: Effect) => void } = {}): Promise<FireHost> {
  const fire = validateFireConfig(c.fire);
  const clock = c.timeScale && c.timeScale !== 1 ? scaledTimerHost(c.timeScale, c.timeAnchor) : systemTimerHost;
  let runtime: FireRuntime | null = null;
  const mqtt = c.broker ? new (await import('./mqtt-publisher.js')).FireMqttPublisher({ url: c.broker, site: c.site, agent: c.agent, onCommand: (b) => { void runtime?.handleCommand(b, 'mqtt'); }, onLink: (up) => runtime?.setLink(up) }) : null;
  const publisher = opts.publisher ?? mqtt ?? new MemoryPublisher();
  const host: FireHost = { runtime: null as unknown as FireRuntime, clock, publisher, mqtt, ios: [], onCycle: null, stop: async () => {} };
  const ios = new Map<string, ModbusFireIo>();
  for (const d of c.devices) {
    ios.set(d.id, new ModbusFireIo({
      site: c.site, device: d.id, host: d.host, port: d.port, unitId: d.unitId ?? 1, profileFile: d.profileFile ?? DEFAULT_FIRE_PROFILE,
      params: { racks: d.racks }, pollMs: c.pollMs, now: () => clock.now(),
      onPoints: (points, cycle) => { runtime?.ingest(points); host.onCycle?.(points, cycle); },
    }));
  }
  const io: FireIoPort = {
    writePoint(device: string, point: string, value: boolean | number): Promise<WriteResult> {
      const l = ios.get(device);
      return l ? l.writePoint(device, point, value) : Promise.resolve({ ok: false, error: `no link to device ${device}` });
    },
  };
  runtime = new FireRuntime({
    site: c.site, agent: c.agent, config: fire, journalDir: c.journalDir, io, publisher, machine: opts.machine ?? statechartZoneMachine,
    commandKey: c.commandKey, pollPeriodMs: c.pollMs * (c.timeScale ?? 1), clock, log: opts.log, localSocket: c.socket, onEffect: opts.onEffect,
  });
  host.runtime = runtime;
  host.ios = [...ios.values()];
  mqtt?.start();
  for (const l of ios.values()) await l.start();
  await runtime.start();
  host.stop = async () => {
    for (const l of ios.values()) await l.stop();
    await runtime!.stop();
    await mqtt?.stop();
  };
  return host;
}
