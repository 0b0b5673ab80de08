/**
 * The chiller plant's OPC-UA address space as data: one row per variable, with its string node
 * id, data type, unit and how it reads (and, for setpoints and commands, writes) the plant.
 * The README's node table lists exactly these rows; tests iterate them.
 */
import type { CoolingPlant, PlantState } from './cooling.js';
import { LOOP_IDS, type LoopId } from './config.js';

export type PlantNodeDataType = 'Double' | 'Boolean' | 'String';
export type PlantNodeValue = number | boolean | string;

/** UNECE Rec. 20 common codes for the EngineeringUnits property. */
export const UNITS = {
  '°C': { code: 'CEL', name: 'degree Celsius' },
  'L/s': { code: 'G51', name: 'litre per second' },
  kW: { code: 'KWT', name: 'kilowatt' },
  '%': { code: 'P1', name: 'percent' },
  'm³': { code: 'MTQ', name: 'cubic metre' },
  '1': { code: 'C62', name: 'one' },
  s: { code: 'SEC', name: 'second' },
} as const;
export type PlantUnit = keyof typeof UNITS;

export interface PlantNodeSpec {
  /** Full node id, e.g. `ns=1;s=Chiller1.SupplyTemperature`. */
  nodeId: string;
  /** Identifier part, e.g. `Chiller1.SupplyTemperature`. */
  id: string;
  /** Folder under Objects/Plant (`Plant` itself for plant-wide values). */
  folder: string;
  browseName: string;
  dataType: PlantNodeDataType;
  unit?: PlantUnit;
  /** Engineering range (EURange) for analog items. */
  range?: [number, number];
  description: string;
  read(s: PlantState): PlantNodeValue;
  /** Present on writable nodes: apply a client write to the plant (throws PlantInputError on bad values). */
  write?(plant: CoolingPlant, value: PlantNodeValue): void;
}

export const NAMESPACE_INDEX = 1;

function spec(folder: string, browseName: string, rest: Omit<PlantNodeSpec, 'nodeId' | 'id' | 'folder' | 'browseName'>): PlantNodeSpec {
  const id = `${folder}.${browseName}`;
  return { nodeId: `ns=${NAMESPACE_INDEX};s=${id}`, id, folder, browseName, ...rest };
}

const T: [number, number] = [0, 100];

/** Every variable the plant server exposes, for a plant with `chillers` chillers and `layers` tank layers. */
export function plantNodeSpecs(chillers: number, layers: number): PlantNodeSpec[] {
  const out: PlantNodeSpec[] = [
    spec('Plant', 'TotalPower', { dataType: 'Double', unit: 'kW', range: [0, 20000], description: 'chillers + loop pumps, electrical', read: (s) => s.totalPowerKw }),
    spec('Plant', 'CoolingLoad', { dataType: 'Double', unit: 'kW', range: [0, 20000], description: 'cooling delivered by all chillers', read: (s) => s.coolingKw }),
    spec('Plant', 'SupplyTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'chilled-water supply header to the rooms (tank outlet)', read: (s) => s.supplyTemperatureC }),
    spec('Plant', 'ReturnTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'mixed return header from the rooms', read: (s) => s.returnTemperatureC }),
  ];
  for (let i = 0; i < chillers; i++) {
    const f = `Chiller${i + 1}`;
    const c = (s: PlantState) => s.chillers[i];
    out.push(
      spec(f, 'Running', { dataType: 'Boolean', description: 'compressor running and cooling', read: (s) => c(s).running }),
      spec(f, 'State', { dataType: 'String', description: 'running | starting | stopped | tripped', read: (s) => c(s).state }),
      spec(f, 'Tripped', { dataType: 'Boolean', description: 'tripped on a fault (stays off until reset)', read: (s) => c(s).tripped }),
      spec(f, 'RunCommand', {
        dataType: 'Boolean', description: 'run command (writable: true = start, false = stop)', read: (s) => c(s).runCommand,
        write: (p, v) => { if (v === true) p.startChiller(i + 1); else p.stopChiller(i + 1); },
      }),
      spec(f, 'SupplySetpoint', {
        dataType: 'Double', unit: '°C', range: [0, 30], description: 'leaving chilled-water setpoint (writable, 0..30)', read: (s) => c(s).supplySetpointC,
        write: (p, v) => p.setChillerSetpoint(i + 1, Number(v)),
      }),
      spec(f, 'SupplyTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'leaving chilled water', read: (s) => c(s).supplyTemperatureC }),
      spec(f, 'ReturnTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'entering chilled water', read: (s) => c(s).returnTemperatureC }),
      spec(f, 'Flow', { dataType: 'Double', unit: 'L/s', range: [0, 1000], description: 'evaporator flow', read: (s) => c(s).flowLps }),
      spec(f, 'Power', { dataType: 'Double', unit: 'kW', range: [0, 5000], description: 'electrical input', read: (s) => c(s).powerKw }),
      spec(f, 'CoolingLoad', { dataType: 'Double', unit: 'kW', range: [0, 20000], description: 'cooling delivered', read: (s) => c(s).coolingKw }),
      spec(f, 'COP', { dataType: 'Double', unit: '1', range: [0, 15], description: 'cooling / electrical input (0 when not cooling)', read: (s) => c(s).cop }),
      spec(f, 'RestartRemaining', { dataType: 'Double', unit: 's', range: [0, 3600], description: 'seconds until cooling resumes while starting', read: (s) => c(s).restartRemainingS }),
    );
  }
  for (const loop of LOOP_IDS) {
    const f = `Loop${loop}`;
    const l = (s: PlantState) => s.loops[loop as LoopId];
    out.push(
      spec(f, 'SupplyTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'loop supply', read: (s) => l(s).supplyTemperatureC }),
      spec(f, 'ReturnTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'loop return', read: (s) => l(s).returnTemperatureC }),
      spec(f, 'Flow', { dataType: 'Double', unit: 'L/s', range: [0, 1000], description: 'loop flow', read: (s) => l(s).flowLps }),
      spec(f, 'ValvePosition', {
        dataType: 'Double', unit: '%', range: [0, 100], description: 'loop valve, % open (writable, 0..100)', read: (s) => l(s).valveOpenPct,
        write: (p, v) => p.setLoopValve(loop, Number(v)),
      }),
      spec(f, 'HeatLoad', { dataType: 'Double', unit: 'kW', range: [0, 20000], description: 'heat carried from the rooms', read: (s) => l(s).heatKw }),
      spec(f, 'PumpPower', { dataType: 'Double', unit: 'kW', range: [0, 500], description: 'loop pump, electrical', read: (s) => l(s).pumpPowerKw }),
    );
  }
  const f = 'BufferTank';
  out.push(
    spec(f, 'Temperature', { dataType: 'Double', unit: '°C', range: T, description: 'mean water temperature', read: (s) => s.tank.temperatureC }),
    spec(f, 'Volume', { dataType: 'Double', unit: 'm³', range: [0, 100000], description: 'water volume', read: (s) => s.tank.volumeM3 }),
    spec(f, 'Level', { dataType: 'Double', unit: '%', range: [0, 100], description: 'level, % of capacity', read: (s) => s.tank.levelPct }),
    spec(f, 'OutletTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'water leaving the bottom to the loops', read: (s) => s.tank.outletTemperatureC }),
    spec(f, 'InletTemperature', { dataType: 'Double', unit: '°C', range: T, description: 'loop return water entering the top', read: (s) => s.tank.inletTemperatureC }),
  );
  for (let k = 0; k < layers; k++) {
    out.push(spec(f, `Layer${k + 1}Temperature`, {
      dataType: 'Double', unit: '°C', range: T, description: `layer ${k + 1} of ${layers} (1 = bottom)`, read: (s) => s.tank.layerTemperaturesC[k],
    }));
  }
  return out;
}

/** Accepts `ns=1;s=X.Y` or `X.Y`; returns the identifier part. */
export function nodeIdentifier(nodeId: string): string {
  const m = /^ns=\d+;s=(.+)$/.exec(nodeId);
  return m ? m[1] : nodeId;
}
