/**
 * The MQTT device driver against the simulator's thermal cameras on a real Mosquitto: values by
 * JSON path with the device's timestamp, and every malformed kind (truncated, NaN, wrong types,
 * 1 MB, schema failure, garbage) → bad points and counted events, never a crash; broker loss.
 */
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/log.js';
import { startCameras, type CamerasHandle } from '../../../hardware-sim/mqtt-devices/cameras.js';
import { startMosquitto, type Mosquitto } from '../../../test/support/mosquitto.js';
import { waitFor } from '../../../test/support/ports.js';
import { systemClock, type DriverContext, type RawReading } from '../types.js';
import type { MqttProfileSection } from './config.js';
import { MqttDeviceDriver } from './index.js';

const sample = parse(readFileSync(fileURLToPath(new URL('./sample.yaml', import.meta.url)), 'utf8')) as { mqtt: MqttProfileSection };

let broker: Mosquitto;
let cams: CamerasHandle;
const surface = new Map<string, number>([['BR1-R01', 31.5], ['BR1-R02', 44.2], ['BR1-R03', 27]]);
beforeAll(async () => {
  broker = await startMosquitto();
  cams = await startCameras({
    brokerUrl: broker.url, site: 'sim1', intervalMs: 3_600_000, frameIntervalMs: 0,
    cameras: [{ id: 'cam-br1', room: 'BR1', racks: [1, 2, 3].map((i) => ({ id: `BR1-R0${i}`, index: i })) }],
    readRackSurface: (id) => surface.get(id) ?? 25,
  });
});
afterAll(async () => { await cams.stop(); await broker.stop(); rmSync(broker.dir, { recursive: true, force: true }); });

function recorder() {
  const batches: RawReading[][] = [];
  const counts = new Map<string, number>();
  const ctx: DriverContext = {
    log: silentLogger, clock: systemClock,
    sink: (r) => batches.push(r),
    count: (m, l) => { const k = `${m}:${l?.reason ?? ''}`; counts.set(k, (counts.get(k) ?? 0) + 1); },
  };
  return { batches, counts, ctx, last: () => batches[batches.length - 1]! };
}

describe('mqtt device driver', () => {
  it('extracts values by path with the device timestamp, and turns every malformed payload into bad points', async () => {
    const rec = recorder();
    const d = new MqttDeviceDriver('cam-br1', { device: { broker: broker.url }, profile: sample.mqtt, params: { racks: 3 }, site: 'sim1', agent: 'edge-1' });
    await d.start(rec.ctx);
    const publish = async () => { const n = rec.batches.length; cams.publishNow('cam-br1'); await waitFor(() => rec.batches.length > n, { what: 'a message' }); return rec.last(); };
    try {
      await waitFor(() => d.linkState() === 'up', { what: 'subscribed' });
      const good = await publish();
      const roi = cams.snapshot('cam-br1').roi;
      expect(good.map((r) => r.point)).toEqual([
        'camera.region.1.temperature.max', 'camera.region.1.temperature.mean', 'camera.region.2.temperature.max',
        'camera.region.2.temperature.mean', 'camera.region.3.temperature.max', 'camera.region.3.temperature.mean',
      ]);
      expect(good.find((r) => r.point === 'camera.region.2.temperature.max')!.raw).toBe(44.2);
      expect(good.every((r) => r.error === undefined && typeof r.raw === 'number' && Math.abs(r.ts - roi.ts) < 60_000)).toBe(true);

      cams.injectPayloadFault('cam-br1', 'truncated');
      expect((await publish()).map((r) => r.error)).toEqual(Array(6).fill('parse_error'));
      cams.injectPayloadFault('cam-br1', 'nan');
      expect((await publish()).map((r) => r.error)).toEqual(Array(6).fill('nan'));
      cams.injectPayloadFault('cam-br1', 'wrong_types');
      const wrong = await publish();
      expect(wrong.map((r) => [r.error, r.raw])).toEqual(Array(6).fill(['parse_error', null]));
      cams.injectPayloadFault('cam-br1', 'oversize');
      expect((await publish()).map((r) => r.error)).toEqual(Array(6).fill('payload_too_large'));
      cams.injectPayloadFault('cam-br1', null);

      const raw = await mqtt.connectAsync(broker.url);
      const send = async (body: string | Buffer) => { const n = rec.batches.length; await raw.publishAsync('sim1/cameras/cam-br1/roi', body, { qos: 1 }); await waitFor(() => rec.batches.length > n); return rec.last(); };
      expect((await send('{"regions": []}')).map((r) => r.error)).toEqual(Array(6).fill('parse_error')); // schema: ts required
      expect((await send(Buffer.from([0xff, 0x00, 0x13]))).map((r) => r.error)).toEqual(Array(6).fill('parse_error'));
      const partial = await send(JSON.stringify({ ts: 1_700_000_000_000, regions: [{ max: 50, mean: 40 }] }));
      expect(partial.map((r) => r.error)).toEqual([undefined, undefined, 'parse_error', 'parse_error', 'parse_error', 'parse_error']);
      expect(partial[0]).toMatchObject({ raw: 50, ts: 1_700_000_000_000 });
      await raw.endAsync();

      expect(rec.counts.get('mqtt_payload_errors_total:parse_error')).toBe(2);
      expect(rec.counts.get('mqtt_payload_errors_total:nan')).toBe(1);
      expect(rec.counts.get('mqtt_payload_errors_total:wrong_type')).toBe(2);
      expect(rec.counts.get('mqtt_payload_errors_total:payload_too_large')).toBe(1);
      expect(rec.counts.get('mqtt_payload_errors_total:schema')).toBe(1);

      const n = rec.batches.length;
      await broker.stop();
      await waitFor(() => rec.batches.length > n && rec.last().every((r) => r.error === 'comm_failure'), { what: 'comm_failure' });
      expect(d.linkState()).not.toBe('up');
      await broker.start();
      await waitFor(() => d.linkState() === 'up', { what: 'resubscribed', timeoutMs: 20_000 });
      await waitFor(async () => { cams.publishNow('cam-br1'); await new Promise((r) => setTimeout(r, 100)); return rec.last().every((r) => r.error === undefined); }, { what: 'values again', timeoutMs: 20_000 });
    } finally {
      await d.stop();
    }
  });

  it('a profile that cannot be expanded is a counted config error, not a crash', async () => {
    const rec = recorder();
    const d = new MqttDeviceDriver('cam-x', { device: { broker: broker.url }, profile: sample.mqtt, site: 'sim1' });
    await d.start(rec.ctx);
    expect(rec.counts.get('driver_errors_total:config_error')).toBe(1);
    expect(d.linkState()).toBe('down');
    await d.stop();
  });
});
