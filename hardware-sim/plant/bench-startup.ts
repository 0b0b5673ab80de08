/**
 * Prints how long the chiller plant's OPC-UA server takes to start: cold (new PKI folder, so the
 * server certificate is generated) and warm (PKI folder reused, the normal case), plus the first
 * client connect + session + read. A figure, never an assertion.
 *
 *   npx tsx hardware-sim/plant/bench-startup.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUAClient } from 'node-opcua';
import { CoolingPlant } from './cooling.js';
import { startChillerOpcua } from './opcua-server.js';

const plant = new CoolingPlant();
const coldDir = mkdtempSync(join(tmpdir(), 'dcim-opcua-pki-cold-'));
try {
  const cold = await startChillerOpcua(plant, { pkiDir: coldDir });
  console.log(`cold start (new PKI, certificate generated): ${cold.startupMs.toFixed(0)} ms`);
  await cold.stop();
} finally {
  rmSync(coldDir, { recursive: true, force: true });
}
for (let i = 1; i <= 3; i++) {
  const warm = await startChillerOpcua(plant);
  const t0 = performance.now();
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(warm.endpointUrl);
  const session = await client.createSession();
  await session.read({ nodeId: 'ns=1;s=BufferTank.Temperature' });
  const clientMs = performance.now() - t0;
  await session.close();
  await client.disconnect();
  await warm.stop();
  console.log(`warm start #${i} (PKI reused): ${warm.startupMs.toFixed(0)} ms; first connect+session+read: ${clientMs.toFixed(0)} ms`);
}
