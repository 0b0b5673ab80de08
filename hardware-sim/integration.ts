/**
 * Wiring of the plant/MQTT engineer's parts (hardware-sim/plant, hardware-sim/mqtt-devices) into
 * the simulator: the chiller plant's OPC-UA server reads the same CoolingPlant the site model
 * steps with the IT heat of the PDUs; the cameras see the racks' surface temperatures; the
 * rack-inlet sensors see the chilled-water supply plus the rack's air-side rise.
 */
import type { DeviceEndpoint } from './devices.js';
import type { DelegateFaultHooks } from './faults.js';
import type { SiteModel } from './site-model.js';
import type { WriteLog } from './write-log.js';
import { startChillerOpcua } from './plant/opcua-server.js';
import { startCameras } from './mqtt-devices/cameras.js';
import { startEnvSensors } from './mqtt-devices/env-sensors.js';

export interface Integration {
  endpoints: DeviceEndpoint[];
  faultHooks?: DelegateFaultHooks;
  stop(): Promise<void>;
}

/** Camera surface temperature of a rack: the camera sees the enclosure, a little below the hot spot. */
export const CAMERA_SURFACE_GAIN = 0.9;
/** With the curtain down the camera sees the curtain; spray mist or gas also hide the rack. */
export const CAMERA_OCCLUDED_GAIN = { curtain: 0.3, mist: 0.5 } as const;

/** What a thermal camera sees over a rack, °C (exported for tests and drills). */
export function cameraSurfaceC(model: SiteModel, rackId: string): number | undefined {
  for (const room of model.rooms) {
    const k = room.racks.find((r) => r.id === rackId);
    if (!k) continue;
    const amb = model.cfg.thermal.ambientC;
    let gain: number = CAMERA_SURFACE_GAIN;
    if (k.curtain.active) gain = Math.min(gain, CAMERA_OCCLUDED_GAIN.curtain);
    if (k.spray.active || room.gasActive(model.now)) gain = Math.min(gain, CAMERA_OCCLUDED_GAIN.mist);
    return amb + gain * (k.temperatureC - amb);
  }
  return undefined;
}
/** Server-rack inlet air above the chilled-water supply, K (coil approach). */
export const INLET_APPROACH_K = 8;

export async function startPlantOpcua(model: SiteModel, writes: WriteLog, auth?: { user?: string; password?: string }): Promise<Integration> {
  const server = await startChillerOpcua(model.plant, {
    port: 0,
    ...(auth?.user ? { user: auth.user } : {}),
    ...(auth?.password ? { password: auth.password } : {}),
    onWrite: (e) => writes.add({ simTimeS: model.now, who: 'opcua', device: 'chiller-plant', point: e.nodeId, value: e.value, accepted: e.ok, ...(e.error ? { reason: e.error } : {}) }),
  });
  return {
    endpoints: [{ id: 'chiller-plant', protocol: 'opcua', profile: 'sim-chiller-plant', host: '127.0.0.1', port: server.port, endpointUrl: server.endpointUrl }],
    faultHooks: { opcuaNode: (nodeId, mode) => server.setNodeFault(nodeId, mode) },
    stop: () => server.stop(),
  };
}

export function serverRackIds(model: SiteModel): { room: string; id: string; unitId: number }[] {
  const perRoom = Math.ceil(model.cfg.pduRacks / model.cfg.serverRooms);
  return model.pdus.map((p) => {
    const n = Number(p.room.slice(2));
    return { room: p.room, id: `${p.room}-R${String(p.unitId - (n - 1) * perRoom).padStart(2, '0')}`, unitId: p.unitId };
  });
}

export async function startMqttDevices(model: SiteModel, brokerUrl: string, timeScale: number): Promise<Integration> {
  const site = model.cfg.site;
  const amb = model.cfg.thermal.ambientC;
  const cameras = await startCameras({
    brokerUrl, site, timeScale,
    cameras: model.rooms.map((r) => ({ id: `cam-${r.id.toLowerCase()}`, room: r.id, racks: r.racks.map((k) => ({ id: k.id, index: k.index })) })),
    readRackSurface: (id) => cameraSurfaceC(model, id) ?? amb,
    readAmbient: (room) => model.rooms.find((r) => r.id === room)?.roomTemperatureC ?? amb,
  });
  const srRacks = serverRackIds(model);
  let cache = { at: -1, supplyC: 0 };
  const supply = () => {
    if (cache.at !== model.now) cache = { at: model.now, supplyC: model.plant.state.supplyTemperatureC };
    return cache.supplyC;
  };
  let env;
  try {
    env = await startEnvSensors({
      brokerUrl, site, timeScale,
      rooms: Array.from({ length: model.cfg.serverRooms }, (_, i) => ({ id: `SR${i + 1}`, racks: srRacks.filter((r) => r.room === `SR${i + 1}`).map((r) => r.id) })),
      readInlet: (id) => {
        const r = srRacks.find((x) => x.id === id);
        const p = r ? model.pdus[r.unitId - 1] : undefined;
        const loadK = p ? (p.sideAW + p.sideBW) / 8000 : 0;
        return { temperatureC: supply() + INLET_APPROACH_K + loadK, humidityPct: 45 };
      },
    });
  } catch (err) {
    await cameras.stop();
    throw err;
  }
  const envHandle = env;
  const camIds = model.rooms.map((r) => `cam-${r.id.toLowerCase()}`);
  const endpoints: DeviceEndpoint[] = [
    ...camIds.map((id, i) => ({
      id, protocol: 'mqtt' as const, profile: 'sim-thermal-camera', host: brokerHost(brokerUrl), port: brokerPort(brokerUrl),
      topics: [`${cameras.topicPrefix(id)}/roi`, `${cameras.topicPrefix(id)}/frame`, `${cameras.topicPrefix(id)}/frame/get`, `${cameras.topicPrefix(id)}/status`],
      room: model.rooms[i]!.id, zone: model.rooms[i]!.zone, params: { racks: model.cfg.racksPerRoom },
    })),
    ...envHandle.gateways.map((id, i) => ({
      id, protocol: 'mqtt' as const, profile: 'sim-env-gateway', host: brokerHost(brokerUrl), port: brokerPort(brokerUrl),
      topics: [`${site}/env/${id}/#`], room: `SR${i + 1}`,
    })),
  ];
  const faultHooks: DelegateFaultHooks = {
    camera: async (id, mode) => {
      if (mode === 'offline') return cameras.setOffline(id, true);
      if (mode === 'occluded') return cameras.setOccluded(id, true);
      if (mode === 'frozen') return cameras.setFrozen(id, true);
      if (mode === null) { cameras.injectPayloadFault(id, null); cameras.setOccluded(id, false); cameras.setFrozen(id, false); await cameras.setOffline(id, false); return; }
      cameras.injectPayloadFault(id, mode);
    },
    cameraRegionOffset: (id, rack, offset) => cameras.setRegionOffset(id, rack, offset),
    envSensor: (rack, position, mode, on, offsetC) => {
      if (mode === 'stuck') envHandle.setSensorStuck(rack, position, on);
      else if (mode === 'silent') envHandle.setSensorSilent(rack, position, on);
      else envHandle.setSensorOffset(rack, position, on ? offsetC ?? 0 : 0);
    },
    env: async (id, mode) => {
      if (mode === 'offline') return envHandle.setOffline(id, true);
      if (mode === null) { envHandle.injectPayloadFault(id, null); await envHandle.setOffline(id, false); return; }
      envHandle.injectPayloadFault(id, mode);
    },
  };
  return {
    endpoints, faultHooks,
    stop: async () => { await envHandle.stop(); await cameras.stop(); },
  };
}

function brokerHost(url: string): string { try { return new URL(url).hostname; } catch { return url; } }
function brokerPort(url: string): number | undefined { try { const p = new URL(url).port; return p ? Number(p) : 1883; } catch { return undefined; } }
