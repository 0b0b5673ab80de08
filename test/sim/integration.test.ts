/**
 * The whole simulator with a real Mosquitto: MQTT cameras see the racks' temperatures (read with
 * mosquitto_sub), the OPC-UA chiller plant answers an authenticated client and carries the IT heat
 * of the PDUs, and camera faults are delegated through the fault API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPCUAClient, AttributeIds, UserTokenType } from 'node-opcua';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { cameraSurfaceC } from '../../hardware-sim/integration.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { mosquittoSub } from '../../hardware-sim/mqtt-devices/testing/mosquitto-sub.js';

let broker: Mosquitto;
let h: SimHandle;

beforeAll(async () => {
  broker = await startMosquitto();
  h = await startSimulator({ timeScale: 1, brokerUrl: broker.url, opcua: { user: 'facility', password: 'pw-for-tests' }, config: { racksPerRoom: 3, pduRacks: 4 } });
});
afterAll(async () => {
  await h?.stop();
  await broker?.stop();
});

describe('simulator with MQTT devices and the OPC-UA plant', () => {
  it('lists cameras, env gateways and the plant with where they listen', () => {
    const byId = Object.fromEntries(h.endpoints.map((e) => [e.id, e]));
    expect(byId['cam-br1']).toMatchObject({ protocol: 'mqtt', host: '127.0.0.1', port: broker.port, room: 'BR1', zone: 'z1' });
    expect(byId['cam-br1']!.topics).toContain('sim1/cameras/cam-br1/roi');
    expect(byId['env-sr1']).toMatchObject({ protocol: 'mqtt', room: 'SR1' });
    expect(byId['chiller-plant']!.endpointUrl).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+/);
  });

  it('the camera ROI over a heated rack reads the rack surface (mosquitto_sub)', async () => {
    const rack = h.sim.model.room('BR1').rack(2);
    rack.temperatureC = 65;
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/cameras/cam-br1/roi'], count: 1, timeoutS: 10 });
    const [msg] = await sub.done;
    const roi = JSON.parse(msg!.payload.toString()) as { regions: { rack: string; max: number }[] };
    expect(roi.regions.map((r) => r.rack)).toEqual(['BR1-R01', 'BR1-R02', 'BR1-R03']);
    const hot = roi.regions.find((r) => r.rack === 'BR1-R02')!;
    const surface = 25 + 0.9 * (rack.temperatureC - 25);
    expect(hot.max).toBeGreaterThan(surface - 2);
    expect(hot.max).toBeLessThan(surface + 2);
    expect(roi.regions.find((r) => r.rack === 'BR1-R01')!.max).toBeLessThan(40);
    // The curtain down hides the rack from the camera: it under-reads.
    rack.curtain.write(true, h.sim.model.now);
    h.advance(11);
    rack.temperatureC = 65;
    expect(cameraSurfaceC(h.sim.model, 'BR1-R02')).toBeCloseTo(25 + 0.3 * 40, 6);
  });

  it('a malformed-payload camera fault is delegated to the camera simulator and cleared', async () => {
    const id = await h.injectFault({ kind: 'camera', camera: 'cam-br2', mode: 'nan' });
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/cameras/cam-br2/roi'], count: 1, timeoutS: 10 });
    const [msg] = await sub.done;
    expect(msg!.payload.toString()).toMatch(/NaN/);
    expect(h.clearFault(id)).toBe(true);
  });

  it('an env-sensor offset is delegated to the rack-inlet gateway (mosquitto_sub)', async () => {
    const id = await h.injectFault({ kind: 'env-sensor', rack: 'SR1-R01', mode: 'offset', offsetC: 30 });
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/env-sr1/SR1-R01/inlet_middle'], count: 1, timeoutS: 15 });
    const [msg] = await sub.done;
    const m = JSON.parse(msg!.payload.toString()) as { temperature: number };
    const truthInlet = h.sim.model.plant.state.supplyTemperatureC + 8;
    expect(m.temperature).toBeGreaterThan(truthInlet + 25);
    expect(h.clearFault(id)).toBe(true);
    await expect(h.injectFault({ kind: 'env-sensor', rack: 'SR9-R01', mode: 'silent' })).rejects.toThrow();
  });

  it('the OPC-UA plant needs the user, and carries the IT load of the PDUs as heat', async () => {
    const url = h.endpoints.find((e) => e.id === 'chiller-plant')!.endpointUrl!;
    const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0, initialDelay: 100 } });
    await client.connect(url);
    try {
      const session = await client.createSession({ type: UserTokenType.UserName, userName: 'facility', password: 'pw-for-tests' });
      const dv = await session.read({ nodeId: 'ns=1;s=BufferTank.Temperature', attributeId: AttributeIds.Value });
      expect(dv.statusCode.isGood()).toBe(true);
      expect(typeof dv.value.value).toBe('number');
      const f = await h.injectFault({ kind: 'opcua-node', nodeId: 'ns=1;s=BufferTank.Temperature', mode: 'bad' });
      const bad = await session.read({ nodeId: 'ns=1;s=BufferTank.Temperature', attributeId: AttributeIds.Value });
      expect(bad.statusCode.isGood()).toBe(false);
      h.clearFault(f);
      await session.close();
    } finally {
      await client.disconnect();
    }
    h.advance(20);
    const t = h.truth();
    expect(t.plant.itHeatKw).toBeCloseTo(t.power.meters.it!.powerW / 1000, 6);
    // The cooling meter follows the plant's electrical power (updated every 10 s plant chunk).
    expect(Math.abs(t.power.meters.cooling!.powerW - t.plant.totalPowerKw * 1000) / (t.plant.totalPowerKw * 1000)).toBeLessThan(0.01);
  });
});
