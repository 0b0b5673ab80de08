/**
 * Build an agent config object from the simulator's endpoints (hardware-sim `DeviceEndpoint`),
 * for tests and the demo. The result is a plain object in the config-file shape; check it with
 * `resolveAgentConfig(fromSim(...))` exactly as a file would be checked.
 *
 * A Modbus gateway endpoint with several unit ids (pdu-gw-1) becomes one device per unit id,
 * `{id}-u{n}` (e.g. pdu-gw-1-u7), all behind the same host:port, so the driver serialises them.
 */
import type { DeviceEndpoint } from '../../hardware-sim/devices.js';
import type { Protocol } from './profile-schema.js';

/** The simulator's device endpoint (hardware-sim/devices.ts); a type only, no runtime dependency. */
export type SimDeviceEndpoint = DeviceEndpoint;

export interface FromSimOptions {
  site?: string;
  agent?: string;
  dataDir?: string;
  pollGroups?: Record<string, number>;
  /** Only these protocols (default all three). */
  protocols?: Protocol[];
  /** Broker the agent publishes telemetry to (absent: embedded broker). */
  brokerUrl?: string;
  /** Broker URL for MQTT devices when it differs from the endpoint's host:port. */
  deviceBrokerUrl?: string;
  /** Extra keys merged into every Modbus device section (timeouts, workarounds, ...). */
  modbus?: Record<string, unknown>;
  /** Add a fire section: one zone per fire I/O device, with the BMS and camera of its room. */
  fire?: boolean;
  healthPort?: number;
}

export function fromSim(endpoints: SimDeviceEndpoint[], opts: FromSimOptions = {}): Record<string, unknown> {
  const protocols = new Set(opts.protocols ?? ['modbus', 'opcua', 'mqtt']);
  const devices: Record<string, unknown>[] = [];
  const place = (ep: SimDeviceEndpoint) => ({ ...(ep.room ? { room: ep.room } : {}), ...(ep.zone ? { zone: ep.zone } : {}) });
  const intParams = (ep: SimDeviceEndpoint) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(ep.params ?? {})) if (typeof v === 'number' && Number.isInteger(v)) out[k] = v;
    return Object.keys(out).length ? { params: out } : {};
  };
  for (const ep of endpoints) {
    if (!protocols.has(ep.protocol)) continue;
    if (ep.protocol === 'modbus') {
      const units = ep.unitIds?.length ? ep.unitIds : [1];
      for (const unitId of units) {
        devices.push({
          id: units.length > 1 ? `${ep.id}-u${unitId}` : ep.id,
          profile: ep.profile,
          ...place(ep),
          ...intParams(ep),
          modbus: { host: ep.host, port: ep.port ?? 502, unitId, ...(opts.modbus ?? {}) },
        });
      }
    } else if (ep.protocol === 'opcua') {
      devices.push({ id: ep.id, profile: ep.profile, ...place(ep), ...intParams(ep), opcua: { endpoint: ep.endpointUrl ?? `opc.tcp://${ep.host}:${ep.port ?? 4840}` } });
    } else {
      const p = intParams(ep);
      devices.push({ id: ep.id, profile: ep.profile, ...place(ep), ...p, mqtt: { broker: opts.deviceBrokerUrl ?? `mqtt://${ep.host}:${ep.port ?? 1883}` } });
    }
  }
  const config: Record<string, unknown> = {
    site: opts.site ?? 'sim1',
    agent: opts.agent ?? 'edge-1',
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.brokerUrl ? { broker: { url: opts.brokerUrl } } : {}),
    ...(opts.pollGroups ? { pollGroups: opts.pollGroups } : {}),
    devices,
    health: { port: opts.healthPort ?? 0 },
  };
  if (opts.fire) {
    const ids = new Set(devices.map((d) => d.id as string));
    const zones = endpoints.filter((ep) => ep.profile === 'sim-fire-io' && protocols.has(ep.protocol)).map((ep) => {
      const room = ep.room ?? ep.id;
      const sameRoom = (profile: string) => endpoints.find((e) => e.room === room && e.profile.startsWith(profile) && ids.has(e.id))?.id;
      const bms = sameRoom('sim-bms');
      const camera = endpoints.find((e) => e.room === room && e.protocol === 'mqtt' && e.id.startsWith('cam-') && ids.has(e.id))?.id;
      return {
        id: ep.zone ?? room,
        room,
        fireIo: ep.id,
        ...(bms ? { bms } : {}),
        ...(camera ? { camera } : {}),
        racks: typeof ep.params?.racks === 'number' ? ep.params.racks : 8,
        rackIdPrefix: `${room}-R`,
      };
    });
    if (zones.length) config.fire = { zones };
  }
  return config;
}
