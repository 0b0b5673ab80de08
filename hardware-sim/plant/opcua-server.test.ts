/**
 * The chiller plant read by an independent OPC-UA client (node-opcua's OPCUAClient): browse,
 * read every node and compare with plant.state, faults, writes, user/password and restart.
 * One server per file (startup costs ~0.6 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributeIds, BrowseDirection, ClientSubscription, NodeClass, OPCUAClient, StatusCodes, TimestampsToReturn,
  UserTokenType, type ClientSession, type DataValue,
} from 'node-opcua';
import { CoolingPlant } from './cooling.js';
import { plantNodeSpecs } from './opcua-nodes.js';
import { startChillerOpcua, type ChillerOpcuaServer, type PlantWriteEvent } from './opcua-server.js';

const USER = { type: UserTokenType.UserName, userName: 'facility', password: 's3cret-pw' } as const;

const plant = new CoolingPlant();
const writes: PlantWriteEvent[] = [];
let server: ChillerOpcuaServer;
let client: OPCUAClient;
let session: ClientSession;

function newClient() {
  return OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0, initialDelay: 100 }, requestedSessionTimeout: 20_000 });
}

beforeAll(async () => {
  plant.step(1800, 1500);
  server = await startChillerOpcua(plant, { user: USER.userName, password: USER.password, updateMs: 100, onWrite: (e) => writes.push(e) });
  client = newClient();
  await client.connect(server.endpointUrl);
  session = await client.createSession(USER);
});

afterAll(async () => {
  await session?.close().catch(() => undefined);
  await client?.disconnect();
  await server?.stop();
});

async function readAll(ids: string[]): Promise<DataValue[]> {
  return session.read(ids.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
}

describe('chiller plant over OPC-UA', () => {
  it('reports the port it got and an opc.tcp endpoint on 127.0.0.1', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.endpointUrl).toBe(`opc.tcp://127.0.0.1:${server.port}`);
    expect(server.startupMs).toBeGreaterThan(0);
  });

  it('browses Objects/Plant: folders Chiller1, Chiller2, LoopA, LoopB, BufferTank and exactly the documented variables', async () => {
    const top = await session.browse({ nodeId: 'ns=1;s=Plant', browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const folders = top.references!.filter((r) => r.nodeClass === NodeClass.Object).map((r) => r.browseName.name);
    expect(folders).toEqual(['Chiller1', 'Chiller2', 'LoopA', 'LoopB', 'BufferTank']);
    const found: string[] = top.references!.filter((r) => r.nodeClass === NodeClass.Variable).map((r) => r.nodeId.toString());
    for (const f of folders) {
      const res = await session.browse({ nodeId: `ns=1;s=${f}`, browseDirection: BrowseDirection.Forward, resultMask: 63 });
      for (const r of res.references!) if (r.nodeClass === NodeClass.Variable) found.push(r.nodeId.toString());
    }
    const documented = plantNodeSpecs(2, plant.state.tank.layerTemperaturesC.length).map((s) => s.nodeId);
    expect(found.sort()).toEqual([...documented].sort());
    expect(server.nodeIds).toEqual(documented);
  });

  it('every value read equals plant.state, with StatusCode Good', async () => {
    server.refresh();
    const s = plant.state;
    const specs = plantNodeSpecs(2, s.tank.layerTemperaturesC.length);
    const values = await readAll(specs.map((x) => x.nodeId));
    specs.forEach((spec, i) => {
      expect(values[i].statusCode.equals(StatusCodes.Good), spec.nodeId).toBe(true);
      expect(values[i].value.value, spec.nodeId).toEqual(spec.read(s));
    });
    const byId = Object.fromEntries(specs.map((x, i) => [x.id, values[i].value.value]));
    expect(byId['Chiller1.Running']).toBe(true);
    expect(byId['Chiller1.Flow']).toBe(130);
    expect(byId['BufferTank.Volume']).toBe(500);
    expect(byId['BufferTank.Level']).toBeCloseTo((500 / 520) * 100, 9);
  });

  it('publishes engineering units (°C, L/s, kW) as EngineeringUnits properties', async () => {
    const paths = await session.translateBrowsePath(['Chiller1.SupplyTemperature', 'Chiller1.Flow', 'Chiller1.Power'].map((id) => ({
      startingNode: `ns=1;s=${id}`, relativePath: { elements: [{ referenceTypeId: 'i=46', isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EngineeringUnits' } }] },
    })));
    const units = await readAll(paths.map((p) => p.targets![0].targetId.toString()));
    expect(units.map((u) => (u.value.value as { displayName: { text: string } }).displayName.text)).toEqual(['°C', 'L/s', 'kW']);
  });

  it('follows the plant: a chiller trip shows in State/Running/Flow, and a subscription sees it', async () => {
    const sub = ClientSubscription.create(session, { requestedPublishingInterval: 50, requestedMaxKeepAliveCount: 20, publishingEnabled: true });
    const item = await sub.monitor({ nodeId: 'ns=1;s=Chiller2.State', attributeId: AttributeIds.Value }, { samplingInterval: 0, queueSize: 10 }, TimestampsToReturn.Both);
    const seen: string[] = [];
    const tripped = new Promise<void>((resolve) => item.on('changed', (dv: DataValue) => { seen.push(String(dv.value.value)); if (dv.value.value === 'tripped') resolve(); }));
    plant.tripChiller(2);
    plant.step(60, 1500);
    await tripped;
    await sub.terminate();
    expect(seen[0]).toBe('running');
    expect(seen.at(-1)).toBe('tripped');
    server.refresh();
    const [running, flow, power] = await readAll(['ns=1;s=Chiller2.Running', 'ns=1;s=Chiller2.Flow', 'ns=1;s=Chiller2.Power']);
    expect([running.value.value, flow.value.value, power.value.value]).toEqual([false, 0, 0]);
    plant.restoreChiller(2);
  });

  it('a sensor fault turns a node Bad or Uncertain; stuck and offset overrides change only that node', async () => {
    const id = 'ns=1;s=BufferTank.Layer1Temperature';
    server.setNodeFault(id, 'bad');
    expect((await readAll([id]))[0].statusCode.equals(StatusCodes.BadSensorFailure)).toBe(true);
    server.setNodeFault('BufferTank.Layer1Temperature', 'uncertain');
    expect((await readAll([id]))[0].statusCode.equals(StatusCodes.UncertainSensorNotAccurate)).toBe(true);
    server.setNodeFault(id, null);
    expect((await readAll([id]))[0].statusCode.equals(StatusCodes.Good)).toBe(true);

    const truth = plant.state.tank.layerTemperaturesC[0];
    server.setNodeOverride(id, { offset: 2.5 });
    expect((await readAll([id]))[0].value.value).toBeCloseTo(truth + 2.5, 9);
    server.setNodeOverride(id, { stuckAt: 11.0 });
    plant.step(600, 1500);
    server.refresh();
    const [stuck, other] = await readAll([id, 'ns=1;s=BufferTank.Layer2Temperature']);
    expect(stuck.value.value).toBe(11.0);
    expect(other.value.value).toBe(plant.state.tank.layerTemperaturesC[1]);
    server.setNodeOverride(id, null);
    expect(() => server.setNodeFault('ns=1;s=Nope.Missing', 'bad')).toThrow(/unknown chiller-plant node 'ns=1;s=Nope.Missing'/);
  });

  it('writes act on the plant (valve, setpoint, run command) and every write is reported; out of range is refused', async () => {
    const w = (nodeId: string, dataType: 'Double' | 'Boolean', value: number | boolean) =>
      session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } });
    expect((await w('ns=1;s=LoopA.ValvePosition', 'Double', 50)).equals(StatusCodes.Good)).toBe(true);
    expect(plant.state.loops.A.flowLps).toBe(30);
    expect((await w('ns=1;s=LoopA.ValvePosition', 'Double', 150)).equals(StatusCodes.BadOutOfRange)).toBe(true);
    expect(plant.state.loops.A.valveOpenPct).toBe(50);
    expect((await w('ns=1;s=Chiller1.SupplySetpoint', 'Double', 10)).equals(StatusCodes.Good)).toBe(true);
    expect(plant.state.chillers[0].supplySetpointC).toBe(10);
    expect((await w('ns=1;s=Chiller1.RunCommand', 'Boolean', false)).equals(StatusCodes.Good)).toBe(true);
    expect(plant.state.chillers[0].state).toBe('stopped');
    const [cmd] = await readAll(['ns=1;s=Chiller1.RunCommand']);
    expect(cmd.value.value).toBe(false);
    const readOnly = await w('ns=1;s=Chiller1.SupplyTemperature', 'Double', 1);
    expect(readOnly.isNotGood()).toBe(true);
    expect(writes.map((e) => [e.nodeId, e.value, e.ok])).toEqual([
      ['ns=1;s=LoopA.ValvePosition', 50, true],
      ['ns=1;s=LoopA.ValvePosition', 150, false],
      ['ns=1;s=Chiller1.SupplySetpoint', 10, true],
      ['ns=1;s=Chiller1.RunCommand', false, true],
    ]);
    expect(writes[1].error).toMatch(/outside 0\.\.100/);
  });

  it('with user/password set: anonymous and a wrong password are refused, the right user is accepted', async () => {
    const c = newClient();
    await c.connect(server.endpointUrl);
    try {
      const endpoints = await c.getEndpoints();
      const tokens = endpoints.flatMap((e) => (e.userIdentityTokens ?? []).map((t) => t.tokenType));
      expect(tokens).not.toContain(UserTokenType.Anonymous);
      expect(tokens).toContain(UserTokenType.UserName);
      await expect(c.createSession()).rejects.toThrow();
      await expect(c.createSession({ ...USER, password: 'wrong' })).rejects.toThrow(/BadUserAccessDenied/);
      await expect(c.createSession({ ...USER, userName: 'intruder' })).rejects.toThrow(/BadUserAccessDenied/);
      const ok = await c.createSession(USER);
      expect((await ok.read({ nodeId: 'ns=1;s=BufferTank.Volume' })).value.value).toBe(500);
      await ok.close();
    } finally {
      await c.disconnect();
    }
  });

  it('device offline: setOffline(true) refuses connections; setOffline(false) serves again on the same port with faults kept', async () => {
    server.setNodeFault('Chiller1.Flow', 'bad');
    await session.close().catch(() => undefined);
    await client.disconnect();
    await server.setOffline(true);
    expect(server.online).toBe(false);
    const c = newClient();
    await expect(c.connect(server.endpointUrl)).rejects.toThrow();
    await c.disconnect();
    await server.setOffline(false);
    expect(server.online).toBe(true);
    client = newClient();
    await client.connect(server.endpointUrl);
    session = await client.createSession(USER);
    const [flow, volume] = await readAll(['ns=1;s=Chiller1.Flow', 'ns=1;s=BufferTank.Volume']);
    expect(flow.statusCode.equals(StatusCodes.BadSensorFailure)).toBe(true);
    expect(volume.value.value).toBe(500);
    server.setNodeFault('Chiller1.Flow', null);
  });

  it('restarts on the same port (stop + start) and a new client reads again', async () => {
    const port = server.port;
    await session.close().catch(() => undefined);
    await client.disconnect();
    await server.stop();
    server = await startChillerOpcua(plant, { port, user: USER.userName, password: USER.password, updateMs: 100 });
    expect(server.port).toBe(port);
    client = newClient();
    await client.connect(server.endpointUrl);
    session = await client.createSession(USER);
    const [t] = await readAll(['ns=1;s=BufferTank.Temperature']);
    expect(t.value.value).toBe(plant.state.tank.temperatureC);
  });
});
