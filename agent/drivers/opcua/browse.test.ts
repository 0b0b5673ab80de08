import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPCUAClient } from 'node-opcua';
import { CoolingPlant } from '../../../hardware-sim/plant/cooling.js';
import { startChillerOpcua, type ChillerOpcuaServer } from '../../../hardware-sim/plant/opcua-server.js';
import { freePort } from '../../../test/support/ports.js';
import { browseVariables, formatProfile, formatTable, run } from './browse.js';

let server: ChillerOpcuaServer;
const pki = mkdtempSync(join(tmpdir(), 'dcim-browse-pki-'));
beforeAll(async () => { server = await startChillerOpcua(new CoolingPlant(), { port: 0 }); });
afterAll(async () => { await server.stop(); rmSync(pki, { recursive: true, force: true }); });

describe('dcim browse', () => {
  it('lists every plant variable with its data type, unit and access', async () => {
    const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    await client.connect(server.endpointUrl);
    try {
      const session = await client.createSession();
      const vars = await browseVariables(session);
      const ids = vars.map((v) => v.nodeId);
      for (const id of server.nodeIds) expect(ids).toContain(id);
      expect(vars.find((v) => v.nodeId === 'ns=1;s=Plant.SupplyTemperature')).toEqual({ nodeId: 'ns=1;s=Plant.SupplyTemperature', path: 'Plant/SupplyTemperature', dataType: 'Double', unit: '°C', writable: false });
      expect(vars.find((v) => v.nodeId === 'ns=1;s=Chiller1.SupplySetpoint')).toMatchObject({ dataType: 'Double', writable: true });
      expect(vars.find((v) => v.nodeId === 'ns=1;s=Chiller1.Running')).toMatchObject({ dataType: 'Boolean' });
      expect(ids.some((id) => id.includes('EngineeringUnits'))).toBe(false);
      expect(formatTable(vars)).toMatch(/^NODE ID\s+PATH\s+TYPE\s+UNIT\s+ACCESS\n/);
      expect(formatProfile(vars)).toContain('nodeId: ns=1;s=Chiller1.SupplySetpoint');
      await session.close();
    } finally {
      await client.disconnect();
    }
  });

  it('exits 2 on bad usage and 1 when the server cannot be reached', async () => {
    expect(await run([])).toBe(2);
    expect(await run(['http://x'])).toBe(2);
    expect(await run([server.endpointUrl, '--security', 'Bogus'])).toBe(2);
    expect(await run([`opc.tcp://127.0.0.1:${await freePort()}`, '--pki', pki])).toBe(1);
  });
});
