/**
 * Prints the simulator's figures (not a test): physics throughput for site sizes up to 400 racks,
 * startup time, and the time to read a full 100-rack BMS over Modbus TCP.
 *
 *   npx tsx hardware-sim/bench-step.ts
 */
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { resolveSiteConfig } from './config.js';
import { SiteModel } from './site-model.js';
import { startSimulator } from './index.js';

async function main(): Promise<void> {
  for (const racks of [8, 25, 100]) {
    const m = new SiteModel(resolveSiteConfig({ racksPerRoom: racks }));
    m.step(60); // warm-up
    const t0 = performance.now();
    m.step(3600);
    const ms = performance.now() - t0;
    console.log(`physics, ${4 * racks} racks: 1 h of sim time in ${ms.toFixed(0)} ms (${((3600 / ms) * 1000).toFixed(0)}× real time)`);
  }
  const t0 = performance.now();
  const h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: { racksPerRoom: 100 } });
  console.log(`startup (15 Modbus servers, 400 racks, no OPC-UA): ${(performance.now() - t0).toFixed(0)} ms`);
  const Ctor = (ModbusSerial as unknown as { default?: new () => ModbusRTU }).default ?? (ModbusSerial as unknown as new () => ModbusRTU);
  const c = new Ctor();
  await c.connectTCP('127.0.0.1', { port: h.endpoints.find((e) => e.id === 'bms-br1')!.port! });
  c.setID(1);
  const t1 = performance.now();
  let regs = 0;
  for (let a = 1000; a < 1000 + 100 * 100; a += 100) { regs += (await c.readInputRegisters(a, 88)).data.length; }
  console.log(`BMS 100 racks × 17 modules: ${regs} registers in 100 requests, ${(performance.now() - t1).toFixed(0)} ms`);
  const t2 = performance.now();
  h.truth();
  console.log(`truth() with every device snapshot: ${(performance.now() - t2).toFixed(0)} ms`);
  await new Promise<void>((r) => c.close(() => r()));
  await h.stop();
}

await main();
