import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../test/support/mosquitto.js';
import { dewPointC, relativeHumidityPct, startEnvSensors, type EnvMessage, type EnvSensorsHandle } from './env-sensors.js';
import { mosquittoSub } from './testing/mosquitto-sub.js';

const FIXED_TS = 1_760_000_000_000;
const inlet: Record<string, { temperatureC: number; humidityPct: number }> = {
  'SR1-R01': { temperatureC: 22.0, humidityPct: 45 },
  'SR1-R02': { temperatureC: 24.5, humidityPct: 40 },
  'SR2-R01': { temperatureC: 27.0, humidityPct: 50 },
};

let broker: Mosquitto;
let env: EnvSensorsHandle;

beforeAll(async () => {
  broker = await startMosquitto();
  env = await startEnvSensors({
    brokerUrl: broker.url,
    site: 'sim1',
    rooms: [{ id: 'SR1', racks: ['SR1-R01', 'SR1-R02'] }, { id: 'SR2', racks: [{ id: 'SR2-R01', index: 1 }] }],
    readInlet: (rack) => inlet[rack],
    intervalMs: 5000,
    timeScale: 50,
    now: () => FIXED_TS,
  });
});

afterAll(async () => {
  await env?.stop();
  await broker?.stop();
});

describe('rack inlet sensor gateways on MQTT, read with mosquitto_sub', () => {
  it('publishes temperature and humidity per rack position, as a wireless gateway does', async () => {
    expect(env.gateways).toEqual(['env-sr1', 'env-sr2']);
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/+/+/+'], count: 18 });
    const msgs = await sub.done;
    expect(msgs).toHaveLength(18);
    const seen = new Map<string, EnvMessage>();
    for (const m of msgs) {
      const r = JSON.parse(m.payload.toString()) as EnvMessage;
      expect(m.topic).toBe(`sim1/env/${r.gateway}/${r.rack}/${r.position}`);
      seen.set(`${r.rack}/${r.position}`, r);
    }
    expect([...seen.keys()].sort()).toEqual([
      'SR1-R01/inlet_bottom', 'SR1-R01/inlet_middle', 'SR1-R01/inlet_top',
      'SR1-R02/inlet_bottom', 'SR1-R02/inlet_middle', 'SR1-R02/inlet_top',
      'SR2-R01/inlet_bottom', 'SR2-R01/inlet_middle', 'SR2-R01/inlet_top',
    ]);
    const mid = seen.get('SR1-R02/inlet_middle')!;
    expect(mid).toMatchObject({ gateway: 'env-sr1', sensor: 'SR1-R02.inlet_middle', ts: FIXED_TS, temperature: 24.5, humidity: 40 });
    // Top of the door is 1 K warmer at the same dew point, so its relative humidity is lower.
    const top = seen.get('SR1-R02/inlet_top')!;
    expect(top.temperature).toBe(25.5);
    expect(top.dewpoint).toBe(mid.dewpoint);
    expect(top.humidity).toBe(Math.round(relativeHumidityPct(25.5, dewPointC(24.5, 40)) * 10) / 10);
    expect(top.humidity).toBeLessThan(40);
    expect(seen.get('SR2-R01/inlet_bottom')!.temperature).toBe(26.4);
  });

  it('dew point and relative humidity are inverse (Magnus)', () => {
    expect(dewPointC(25, 50)).toBeCloseTo(13.86, 1);
    expect(relativeHumidityPct(25, dewPointC(25, 50))).toBeCloseTo(50, 6);
  });

  it('offset, stuck and silent sensor faults act on one sensor only', async () => {
    env.setSensorOffset('SR1-R01', 'inlet_middle', 3);
    expect(env.reading('SR1-R01', 'inlet_middle').temperature).toBe(25);
    expect(env.reading('SR1-R01', 'inlet_top').temperature).toBe(23);
    env.setSensorOffset('SR1-R01', 'inlet_middle', 0);

    env.setSensorStuck('SR2-R01', 'inlet_top', true);
    inlet['SR2-R01'] = { temperatureC: 35, humidityPct: 30 };
    expect(env.reading('SR2-R01', 'inlet_top').temperature).toBe(28);
    expect(env.reading('SR2-R01', 'inlet_middle').temperature).toBe(35);
    env.setSensorStuck('SR2-R01', 'inlet_top', false);
    expect(env.reading('SR2-R01', 'inlet_top').temperature).toBe(36);

    env.setSensorSilent('SR1-R02', 'inlet_bottom', true);
    try {
      const sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/env-sr1/SR1-R02/+'], count: 6 });
      const msgs = await sub.done;
      expect(msgs.map((m) => m.topic.split('/').pop())).not.toContain('inlet_bottom');
    } finally {
      env.setSensorSilent('SR1-R02', 'inlet_bottom', false);
    }
  });

  it('malformed payload faults apply to the gateway\'s messages (wrong_types, nan)', async () => {
    env.injectPayloadFault('env-sr2', 'wrong_types');
    let sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/env-sr2/SR2-R01/inlet_middle'], count: 1 });
    let [msg] = await sub.done;
    const parsed = JSON.parse(msg.payload.toString()) as Record<string, unknown>;
    expect(parsed.temperature).toBe('35');
    expect(typeof parsed.humidity).toBe('string');
    expect(parsed.ts).toBe(FIXED_TS);

    env.injectPayloadFault('env-sr2', 'nan');
    sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/env-sr2/SR2-R01/inlet_middle'], count: 1 });
    [msg] = await sub.done;
    expect(msg.payload.toString()).toContain('"temperature":NaN,"humidity":NaN,"dewpoint":NaN');
    env.injectPayloadFault('env-sr2', null);
  });

  it('gateway power loss publishes its offline will; unknown ids are clear errors', async () => {
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/env-sr1/status'], count: 2 });
    await sub.ready;
    await env.setOffline('env-sr1', true);
    const msgs = await sub.done;
    expect(msgs.map((m) => m.payload.toString())).toEqual(['online', 'offline']);
    await env.setOffline('env-sr1', false);
    expect(() => env.injectPayloadFault('env-sr9', 'nan')).toThrow(/unknown gateway 'env-sr9'/);
    expect(() => env.reading('SR1-R99', 'inlet_top')).toThrow(/unknown sensor SR1-R99 inlet_top/);
  });

  it('reconnects after a broker restart and publishes again (status back online)', async () => {
    await broker.stop();
    await broker.start();
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/env/env-sr2/#'], count: 4 });
    const msgs = await sub.done;
    expect(msgs).toHaveLength(4);
    const status = msgs.filter((m) => m.topic.endsWith('/status')).map((m) => m.payload.toString());
    // The broker keeps sessions and retained messages across its restart, so a subscriber may first
    // get the gateway's will ('offline', published for the session the restart ended), then 'online'
    // when the gateway reconnects; data only flows after that.
    expect(status.at(-1)).toBe('online');
    expect(msgs.some((m) => m.topic.startsWith('sim1/env/env-sr2/SR2-R01/'))).toBe(true);
  });

  it('rejects a non-positive interval or time scale before connecting', async () => {
    const base = { brokerUrl: broker.url, site: 'sim1', rooms: [], readInlet: () => ({ temperatureC: 20, humidityPct: 40 }) };
    await expect(startEnvSensors({ ...base, intervalMs: 0 })).rejects.toThrow(/intervalMs must be > 0/);
    await expect(startEnvSensors({ ...base, timeScale: -1 })).rejects.toThrow(/timeScale must be > 0/);
  });
});
