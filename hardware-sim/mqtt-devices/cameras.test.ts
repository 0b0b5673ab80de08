import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../test/support/mosquitto.js';
import { startCameras, type CamerasHandle, type FrameMessage, type RoiMessage } from './cameras.js';
import { FRAME_HEIGHT, FRAME_WIDTH, layoutRegions } from './frame.js';
import { encodePayload, OVERSIZE_BYTES } from './malformed.js';
import { mosquittoSub } from './testing/mosquitto-sub.js';

const FIXED_TS = 1_760_000_000_000;
const surface: Record<string, number> = {
  'BR1-R01': 24.04, 'BR1-R02': 31.26, 'BR1-R03': 45.27, 'BR1-R04': 23.0,
  'BR2-R01': 22.5, 'BR2-R02': 66.61,
};
const racks = (room: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${room}-R0${i + 1}`, index: i + 1 }));

let broker: Mosquitto;
let cams: CamerasHandle;

beforeAll(async () => {
  broker = await startMosquitto();
  cams = await startCameras({
    brokerUrl: broker.url,
    site: 'sim1',
    cameras: [
      { id: 'cam-br1', room: 'BR1', racks: racks('BR1', 4) },
      { id: 'cam-br2', room: 'BR2', racks: racks('BR2', 2) },
    ],
    readRackSurface: (id) => surface[id],
    readAmbient: () => 22,
    intervalMs: 1000,
    frameIntervalMs: 0,
    timeScale: 10,
    now: () => FIXED_TS,
  });
});

afterAll(async () => {
  await cams?.stop();
  await broker?.stop();
});

/** Publish on demand until mosquitto_sub has what it waits for (no timing assumptions). */
async function collect(topics: string[], count: number, poke: () => void) {
  const sub = mosquittoSub({ port: broker.port, topics, count });
  await sub.ready;
  const t = setInterval(poke, 100);
  try {
    return await sub.done;
  } finally {
    clearInterval(t);
    sub.kill();
  }
}

describe('thermal cameras on MQTT, read with mosquitto_sub', () => {
  it('publishes per-region max and mean every (scaled) second, one region per rack', async () => {
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/cameras/+/roi'], count: 4 });
    const msgs = await sub.done;
    expect(msgs).toHaveLength(4);
    const byCam = new Map<string, RoiMessage[]>();
    for (const m of msgs) {
      const roi = JSON.parse(m.payload.toString()) as RoiMessage;
      expect(m.topic).toBe(`sim1/cameras/${roi.camera}/roi`);
      byCam.set(roi.camera, [...(byCam.get(roi.camera) ?? []), roi]);
    }
    const br1 = byCam.get('cam-br1')!;
    expect(br1.length).toBeGreaterThanOrEqual(1);
    const r = br1[0];
    expect(r).toMatchObject({ room: 'BR1', ts: FIXED_TS, unit: 'C' });
    expect(r.regions.map((g) => [g.roi, g.rack, g.max])).toEqual([[1, 'BR1-R01', 24.0], [2, 'BR1-R02', 31.3], [3, 'BR1-R03', 45.3], [4, 'BR1-R04', 23.0]]);
    for (const g of r.regions) {
      expect(g.mean).toBeGreaterThanOrEqual(22);
      expect(g.mean).toBeLessThanOrEqual(g.max);
    }
    // Hot rack: the mean is well above ambient and below the max.
    expect(r.regions[2].mean).toBeGreaterThan(30);
    expect(r.regions[2].mean).toBeLessThan(45.3);
    // Sequence numbers increase per camera.
    for (const list of byCam.values()) for (let i = 1; i < list.length; i++) expect(list[i].seq).toBeGreaterThan(list[i - 1].seq);
  });

  it('answers frame/get (sent by mosquitto_pub) with a 32×24 frame whose region pixels give the ROI statistics', async () => {
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/cameras/cam-br1/frame'], count: 1 });
    await sub.ready;
    await new Promise<void>((resolve, reject) => {
      const pub = spawn('/usr/bin/mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-t', 'sim1/cameras/cam-br1/frame/get', '-m', '{}']);
      pub.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}`))));
    });
    const [msg] = await sub.done;
    const frame = JSON.parse(msg.payload.toString()) as FrameMessage;
    expect(frame).toMatchObject({ camera: 'cam-br1', room: 'BR1', width: FRAME_WIDTH, height: FRAME_HEIGHT, unit: 'C', ts: FIXED_TS });
    expect(frame.data).toHaveLength(32 * 24);
    const roi = cams.snapshot('cam-br1').roi;
    for (const rect of layoutRegions([1, 2, 3, 4])) {
      const px: number[] = [];
      for (let y = rect.y; y < rect.y + rect.h; y++) for (let x = rect.x; x < rect.x + rect.w; x++) px.push(frame.data[y * 32 + x]);
      const region = roi.regions.find((g) => g.roi === rect.index)!;
      expect(Math.max(...px)).toBe(region.max);
      expect(Math.round((px.reduce((a, b) => a + b, 0) / px.length) * 10) / 10).toBe(region.mean);
    }
    // Background (outside every region) is the room ambient.
    expect(frame.data[0]).toBe(22);
  });

  it.each(['truncated', 'nan', 'wrong_types', 'oversize'] as const)('malformed payload fault %s sends exactly the documented bytes', async (kind) => {
    cams.injectPayloadFault('cam-br2', kind);
    try {
      const [msg] = await collect(['sim1/cameras/cam-br2/roi'], 1, () => cams.publishNow('cam-br2'));
      const normal = cams.snapshot('cam-br2').roi;
      // The only field that changes between messages is seq: find the one that was sent.
      const candidates = Array.from({ length: 200 }, (_, k) => encodePayload({ ...normal, seq: normal.seq - k }, kind, ['max', 'mean', 'data']));
      expect(candidates.some((c) => c.equals(msg.payload))).toBe(true);
      const text = msg.payload.toString();
      switch (kind) {
        case 'truncated': {
          expect(() => JSON.parse(text)).toThrow();
          const full = JSON.stringify({ ...normal, seq: Number(/"seq":(\d+)/.exec(text)![1]) });
          expect(msg.payload.length).toBe(Math.floor(Buffer.byteLength(full) / 2));
          expect(full.startsWith(text)).toBe(true);
          break;
        }
        case 'nan': {
          expect(() => JSON.parse(text)).toThrow();
          expect(text).toContain('"max":NaN,"mean":NaN');
          const fixed = JSON.parse(text.replace(/NaN/g, 'null')) as { regions: { roi: number; max: null }[]; ts: number };
          expect(fixed.regions.map((g) => [g.roi, g.max])).toEqual([[1, null], [2, null]]);
          expect(fixed.ts).toBe(FIXED_TS);
          break;
        }
        case 'wrong_types': {
          const parsed = JSON.parse(text) as { regions: { max: unknown; mean: unknown; roi: unknown }[] };
          expect(parsed.regions.map((g) => g.max)).toEqual(['22.5', '66.6']);
          expect(typeof parsed.regions[0].mean).toBe('string');
          expect(parsed.regions[0].roi).toBe(1);
          break;
        }
        case 'oversize': {
          expect(msg.payload.length).toBe(OVERSIZE_BYTES);
          const parsed = JSON.parse(text) as RoiMessage & { padding: string };
          expect(parsed.regions.map((g) => g.max)).toEqual([22.5, 66.6]);
          expect(parsed.padding).toMatch(/^x+$/);
          break;
        }
      }
    } finally {
      cams.injectPayloadFault('cam-br2', null);
    }
  });

  it('clearing the fault restores well-formed JSON', async () => {
    const [msg] = await collect(['sim1/cameras/cam-br2/roi'], 1, () => cams.publishNow('cam-br2'));
    const roi = JSON.parse(msg.payload.toString()) as RoiMessage;
    expect(roi.regions.map((g) => g.max)).toEqual([22.5, 66.6]);
  });

  it('region offset and occlusion change what the camera reports, not the truth', () => {
    cams.setRegionOffset('cam-br1', 2, 10);
    expect(cams.snapshot('cam-br1').roi.regions.map((g) => g.max)).toEqual([24.0, 41.3, 45.3, 23.0]);
    cams.setRegionOffset('cam-br1', 2, 0);
    cams.setOccluded('cam-br1', true);
    const occluded = cams.snapshot('cam-br1').roi.regions.map((g) => g.max);
    // The curtain shows 10 % of the rack's excess over ambient: 22 + 0.1 × (45.27 − 22) = 24.3.
    expect(occluded).toEqual([22.2, 22.9, 24.3, 22.1]);
    cams.setOccluded('cam-br1', false);
    expect(cams.snapshot('cam-br1').roi.regions[2].max).toBe(45.3);
  });

  it('frozen: every ROI message repeats the last one sent (same ts and seq, FS-01 repeated sequence) until unfrozen', async () => {
    cams.setFrozen('cam-br2', true);
    let msgs;
    try {
      msgs = await collect(['sim1/cameras/cam-br2/roi'], 3, () => cams.publishNow('cam-br2'));
    } finally {
      cams.setFrozen('cam-br2', false);
    }
    const rois = msgs.map((m) => JSON.parse(m.payload.toString()) as RoiMessage);
    expect(new Set(rois.map((x) => x.seq)).size).toBe(1);
    expect(rois[1]).toEqual(rois[0]);
    const [after] = await collect(['sim1/cameras/cam-br2/roi'], 1, () => cams.publishNow('cam-br2'));
    expect((JSON.parse(after.payload.toString()) as RoiMessage).seq).toBeGreaterThan(rois[0]!.seq);
  });

  it('power loss publishes the offline will on the retained status topic; power back → online', async () => {
    const sub = mosquittoSub({ port: broker.port, topics: ['sim1/cameras/cam-br1/status'], count: 3 });
    await sub.ready;
    await cams.setOffline('cam-br1', true);
    expect(cams.stats()['cam-br1'].connected).toBe(false);
    await cams.setOffline('cam-br1', false);
    const msgs = await sub.done;
    expect(msgs.map((m) => m.payload.toString())).toEqual(['online', 'offline', 'online']);
    expect(cams.stats()['cam-br1'].connected).toBe(true);
  });

  it('rejects unknown cameras, racks and fault kinds with clear errors', () => {
    expect(() => cams.injectPayloadFault('cam-x', 'nan')).toThrow(/unknown camera 'cam-x'.*cam-br1, cam-br2/);
    expect(() => cams.injectPayloadFault('cam-br1', 'garbage' as never)).toThrow(/unknown payload fault "garbage"/);
    expect(() => cams.setRegionOffset('cam-br1', 9, 1)).toThrow(/no region for rack index 9/);
  });
});
