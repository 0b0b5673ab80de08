/**
 * Simulated wireless rack-inlet sensor gateways (one per server room, device `env-sr1`, ...).
 * Each rack has three sensors on its front door (inlet_top, inlet_middle, inlet_bottom); the
 * gateway publishes one message per sensor per interval, as wireless gateways do:
 *
 *   {site}/env/{gateway}/{rack}/{position}   {gateway, sensor, rack, position, ts, temperature, humidity, dewpoint, battery, rssi}
 *   {site}/env/{gateway}/status              retained `online` / `offline` (last will)
 *
 * readInlet(rack) gives the rack's mid-height inlet air; positions add a vertical gradient
 * (positionOffsetsC) at constant absolute humidity, so relative humidity follows temperature.
 */
import { DeviceClient } from './device-client.js';
import { assertFaultKind, encodePayload, type PayloadFaultKind } from './malformed.js';

export const INLET_POSITIONS = ['inlet_top', 'inlet_middle', 'inlet_bottom'] as const;
export type InletPosition = (typeof INLET_POSITIONS)[number];
export const ENV_MEASUREMENT_KEYS = ['temperature', 'humidity', 'dewpoint'] as const;

/** Default vertical gradient of a cold aisle, K relative to mid height (warm recirculation at the top). */
export const DEFAULT_POSITION_OFFSETS_C: Record<InletPosition, number> = { inlet_top: 1.0, inlet_middle: 0, inlet_bottom: -0.6 };

export interface EnvRoomSpec {
  /** Room id, e.g. SR1. */
  id: string;
  /** Gateway device id; default `env-` + room id in lower case (env-sr1). */
  gateway?: string;
  /** Rack ids, e.g. SR1-R01 (or {id, index}). */
  racks: Array<string | { id: string; index?: number }>;
}

export interface InletReading {
  temperatureC: number;
  humidityPct: number;
}

export interface EnvSensorsOptions {
  brokerUrl: string;
  site: string;
  rooms: EnvRoomSpec[];
  /** True mid-height inlet air of a rack. */
  readInlet(rackId: string): InletReading;
  /** Publish period in simulated ms (default 5000). */
  intervalMs?: number;
  /** Simulated seconds per wall second (default 1); wall period = intervalMs / timeScale (at least 10 ms). */
  timeScale?: number;
  now?(): number;
  positionOffsetsC?: Partial<Record<InletPosition, number>>;
}

export interface EnvMessage {
  gateway: string;
  sensor: string;
  rack: string;
  position: InletPosition;
  ts: number;
  temperature: number;
  humidity: number;
  dewpoint: number;
  battery: number;
  rssi: number;
}

export interface EnvSensorsHandle {
  /** `{site}/env/{gateway}/{rack}/{position}` */
  topic(rackId: string, position: InletPosition): string;
  /** Gateway ids in room order. */
  gateways: string[];
  injectPayloadFault(gatewayId: string, kind: PayloadFaultKind | null): void;
  setSensorOffset(rackId: string, position: InletPosition, offsetC: number): void;
  /** Stuck sensor: keeps sending the values it had when stuck (with fresh timestamps). */
  setSensorStuck(rackId: string, position: InletPosition, stuck: boolean): void;
  /** A sensor that stopped reporting (flat battery, out of radio range). */
  setSensorSilent(rackId: string, position: InletPosition, silent: boolean): void;
  setOffline(gatewayId: string, offline: boolean): Promise<void>;
  /** The message a sensor would send now (normal form). */
  reading(rackId: string, position: InletPosition): EnvMessage;
  publishNow(): void;
  stats(): Record<string, { published: number; publishErrors: number; readErrors: number; connected: boolean }>;
  stop(): Promise<void>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const A = 17.62;
const B = 243.12;

/** Dew point, °C (Magnus formula, Sonntag constants). */
export function dewPointC(tC: number, rhPct: number): number {
  const g = Math.log(Math.max(0.1, Math.min(100, rhPct)) / 100) + (A * tC) / (B + tC);
  return (B * g) / (A - g);
}

/** Relative humidity, %, of air at tC with dew point dpC. */
export function relativeHumidityPct(tC: number, dpC: number): number {
  return Math.min(100, 100 * Math.exp((A * dpC) / (B + dpC) - (A * tC) / (B + tC)));
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface SensorState {
  offsetC: number;
  stuck: EnvMessage | null;
  silent: boolean;
}

interface GatewayRuntime {
  id: string;
  room: string;
  racks: string[];
  client: DeviceClient;
  fault: PayloadFaultKind | null;
  readErrors: number;
}

export class UnknownSensorError extends Error {
  constructor(what: string) {
    super(`unknown ${what}; check the rooms and racks given to startEnvSensors`);
    this.name = 'UnknownSensorError';
  }
}

export async function startEnvSensors(opts: EnvSensorsOptions): Promise<EnvSensorsHandle> {
  const scale = opts.timeScale ?? 1;
  if (!(scale > 0)) throw new RangeError(`startEnvSensors: timeScale must be > 0, got ${scale}`);
  if (opts.intervalMs !== undefined && !(opts.intervalMs > 0)) throw new RangeError(`startEnvSensors: intervalMs must be > 0, got ${opts.intervalMs}`);
  const now = opts.now ?? Date.now;
  const offsets = { ...DEFAULT_POSITION_OFFSETS_C, ...(opts.positionOffsetsC ?? {}) };
  const gateways = new Map<string, GatewayRuntime>();
  const rackGateway = new Map<string, GatewayRuntime>();
  const sensors = new Map<string, SensorState>();
  for (const room of opts.rooms) {
    const id = room.gateway ?? `env-${room.id.toLowerCase()}`;
    if (gateways.has(id)) throw new RangeError(`startEnvSensors: gateway id '${id}' is configured twice`);
    const racks = room.racks.map((r) => (typeof r === 'string' ? r : r.id));
    const gw: GatewayRuntime = {
      id, room: room.id, racks, fault: null, readErrors: 0,
      client: new DeviceClient({ brokerUrl: opts.brokerUrl, device: id, statusTopic: `${opts.site}/env/${id}/status` }),
    };
    gateways.set(id, gw);
    for (const rack of racks) {
      if (rackGateway.has(rack)) throw new RangeError(`startEnvSensors: rack '${rack}' appears in two rooms`);
      rackGateway.set(rack, gw);
      for (const p of INLET_POSITIONS) sensors.set(`${rack}.${p}`, { offsetC: 0, stuck: null, silent: false });
    }
  }
  const gatewayOf = (id: string) => {
    const g = gateways.get(id);
    if (!g) throw new UnknownSensorError(`gateway '${id}' (known: ${[...gateways.keys()].join(', ')})`);
    return g;
  };
  const sensorOf = (rack: string, position: InletPosition) => {
    const s = sensors.get(`${rack}.${position}`);
    if (!s) throw new UnknownSensorError(`sensor ${rack} ${position}`);
    return s;
  };
  const topic = (rack: string, position: InletPosition) => `${opts.site}/env/${rackGateway.get(rack)?.id ?? '?'}/${rack}/${position}`;

  const reading = (rack: string, position: InletPosition): EnvMessage => {
    const gw = rackGateway.get(rack);
    const s = sensorOf(rack, position);
    const sensor = `${rack}.${position}`;
    const ts = Math.round(now());
    if (s.stuck) return { ...s.stuck, ts };
    const truth = opts.readInlet(rack);
    if (!Number.isFinite(truth.temperatureC) || !Number.isFinite(truth.humidityPct)) {
      throw new RangeError(`readInlet(${rack}) returned ${JSON.stringify(truth)}`);
    }
    const dp = dewPointC(truth.temperatureC, truth.humidityPct);
    const t = truth.temperatureC + offsets[position];
    const h = hash(sensor);
    return {
      gateway: gw?.id ?? '', sensor, rack, position, ts,
      temperature: round1(t + s.offsetC),
      humidity: round1(relativeHumidityPct(t, dp)),
      dewpoint: round1(dp),
      battery: 90 + (h % 11),
      rssi: -50 - ((h >>> 8) % 31),
    };
  };

  const publishAll = () => {
    for (const gw of gateways.values()) {
      for (const rack of gw.racks) {
        for (const p of INLET_POSITIONS) {
          if (sensorOf(rack, p).silent) continue;
          try {
            gw.client.publish(topic(rack, p), encodePayload(reading(rack, p), gw.fault, ENV_MEASUREMENT_KEYS));
          } catch { gw.readErrors++; }
        }
      }
    }
  };

  const started: GatewayRuntime[] = [];
  try {
    for (const g of gateways.values()) { await g.client.start(); started.push(g); }
  } catch (err) {
    await Promise.all(started.map((g) => g.client.stop()));
    throw err;
  }
  const timer = setInterval(publishAll, Math.max(10, (opts.intervalMs ?? 5000) / scale));
  publishAll();

  return {
    topic,
    gateways: [...gateways.keys()],
    injectPayloadFault(id, kind) {
      assertFaultKind(kind);
      gatewayOf(id).fault = kind;
    },
    setSensorOffset(rack, position, offsetC) {
      if (!Number.isFinite(offsetC)) throw new RangeError(`setSensorOffset: offset must be finite, got ${offsetC}`);
      sensorOf(rack, position).offsetC = offsetC;
    },
    setSensorStuck(rack, position, stuck) {
      const s = sensorOf(rack, position);
      s.stuck = null;
      if (stuck) s.stuck = reading(rack, position);
    },
    setSensorSilent(rack, position, silent) { sensorOf(rack, position).silent = silent; },
    setOffline: (id, offline) => gatewayOf(id).client.setOffline(offline),
    reading,
    publishNow: publishAll,
    stats: () => Object.fromEntries([...gateways].map(([id, g]) => [id, { published: g.client.published, publishErrors: g.client.publishErrors, readErrors: g.readErrors, connected: g.client.connected }])),
    async stop() {
      clearInterval(timer);
      await Promise.all([...gateways.values()].map((g) => g.client.stop()));
    },
  };
}
