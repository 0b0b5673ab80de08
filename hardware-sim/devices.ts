/**
 * The simulated site's device catalogue (ids agreed in the site names: ups-z1.., bms-br1..,
 * fire-br1.., ats-1, meters-1, pdu-gw-1, chiller-plant, cam-br1.., env-sr1..).
 */
import type { SiteConfig } from './config.js';
import type { SimProfileName } from './profiles.js';

export type Protocol = 'modbus' | 'opcua' | 'mqtt';

/** Where a device listens and how to read it (returned by startSimulator and GET /endpoints). */
export interface DeviceEndpoint {
  id: string;
  protocol: Protocol;
  /** Profile name (agent/profiles/{profile}.yaml for Modbus; a descriptive name otherwise). */
  profile: string;
  host: string;
  port?: number;
  /** Modbus unit ids the device answers (a gateway answers several). */
  unitIds?: number[];
  /** OPC-UA endpoint URL. */
  endpointUrl?: string;
  /** MQTT topics the device publishes (and listens on, for requests). */
  topics?: string[];
  room?: string;
  zone?: string;
  /** Profile parameters ($racks, $modules). */
  params?: Record<string, number>;
}

export interface ModbusDeviceSpec {
  id: string;
  profile: SimProfileName;
  kind: 'ups' | 'bms' | 'fire' | 'ats' | 'meters' | 'pdu';
  unitIds: number[];
  room?: string;
  zone?: string;
  /** Zone / room index (1-based) for per-zone devices. */
  index?: number;
  params: Record<string, number>;
}

export function modbusDevices(cfg: SiteConfig): ModbusDeviceSpec[] {
  const out: ModbusDeviceSpec[] = [];
  for (let z = 1; z <= cfg.zones; z++) out.push({ id: `ups-z${z}`, profile: 'sim-ups', kind: 'ups', unitIds: [1], room: `UPS${z}`, zone: `z${z}`, index: z, params: {} });
  for (let z = 1; z <= cfg.zones; z++) out.push({ id: `bms-br${z}`, profile: 'sim-bms', kind: 'bms', unitIds: [1], room: `BR${z}`, zone: `z${z}`, index: z, params: { racks: cfg.racksPerRoom, modules: cfg.modulesPerRack } });
  for (let z = 1; z <= cfg.zones; z++) out.push({ id: `fire-br${z}`, profile: 'sim-fire-io', kind: 'fire', unitIds: [1], room: `BR${z}`, zone: `z${z}`, index: z, params: { racks: cfg.racksPerRoom } });
  out.push({ id: 'ats-1', profile: 'sim-ats', kind: 'ats', unitIds: [1], params: {} });
  out.push({ id: 'meters-1', profile: 'sim-meters', kind: 'meters', unitIds: [1], params: {} });
  out.push({ id: 'pdu-gw-1', profile: 'sim-pdu', kind: 'pdu', unitIds: Array.from({ length: cfg.pduRacks }, (_, i) => i + 1), params: {} });
  return out;
}
