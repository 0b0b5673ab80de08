/**
 * Simulated battery-room thermal cameras on MQTT, publishing as a camera gateway would:
 *
 *   {site}/cameras/{camera}/roi        every intervalMs: per region (one per rack) max / mean °C
 *   {site}/cameras/{camera}/frame      every frameIntervalMs, and on request: a 32×24 frame, °C
 *   {site}/cameras/{camera}/frame/get  (subscribed) any payload → one frame now
 *   {site}/cameras/{camera}/status     retained `online` / `offline` (last will)
 *
 * Payload shapes are in README.md. Faults: malformed payloads, a region offset, occlusion and
 * power loss (offline).
 */
import { DeviceClient } from './device-client.js';
import { FRAME_HEIGHT, FRAME_WIDTH, layoutRegions, renderFrame, type RegionRect } from './frame.js';
import { assertFaultKind, encodePayload, type PayloadFaultKind } from './malformed.js';

export const CAMERA_MEASUREMENT_KEYS = ['max', 'mean', 'data'] as const;

export interface CameraRackSpec {
  /** Rack id, e.g. BR1-R07. */
  id: string;
  /** 1-based rack index in its room (the region number). */
  index: number;
}

export interface CameraSpec {
  /** Device id, e.g. cam-br1. */
  id: string;
  /** Room id, e.g. BR1. */
  room: string;
  racks: CameraRackSpec[];
}

export interface CamerasOptions {
  brokerUrl: string;
  site: string;
  cameras: CameraSpec[];
  /** True rack surface temperature seen by the camera, °C. */
  readRackSurface(rackId: string): number;
  /** Room ambient (background pixels), °C; default 25. */
  readAmbient?(room: string): number;
  /** ROI period in simulated ms (default 1000). */
  intervalMs?: number;
  /** Frame period in simulated ms (default 10000; 0 = only on request). */
  frameIntervalMs?: number;
  /** Simulated seconds per wall second (default 1): wall period = interval / timeScale (at least 10 ms). */
  timeScale?: number;
  /** Device clock for `ts`, ms since epoch (default Date.now; pass the sim clock when time-scaled). */
  now?(): number;
}

export interface RoiRegion {
  roi: number;
  rack: string;
  max: number;
  mean: number;
  hotspot: [number, number];
}

export interface RoiMessage {
  camera: string;
  room: string;
  ts: number;
  seq: number;
  unit: 'C';
  regions: RoiRegion[];
}

export interface FrameMessage {
  camera: string;
  room: string;
  ts: number;
  seq: number;
  unit: 'C';
  width: number;
  height: number;
  data: number[];
}

export interface CamerasHandle {
  /** MQTT topic prefix of a camera: `{site}/cameras/{camera}`. */
  topicPrefix(cameraId: string): string;
  injectPayloadFault(cameraId: string, kind: PayloadFaultKind | null): void;
  setRegionOffset(cameraId: string, rackIndex: number, offsetC: number): void;
  setOccluded(cameraId: string, occluded: boolean): void;
  /** Frozen firmware: every ROI message repeats the last one sent (same `ts`, same `seq`) until false. */
  setFrozen(cameraId: string, frozen: boolean): void;
  /** Power loss: the connection drops (will `offline` published); false reconnects. */
  setOffline(cameraId: string, offline: boolean): Promise<void>;
  /** Publish one ROI message (and frame) now, outside the schedule. */
  publishNow(cameraId: string, opts?: { frame?: boolean }): void;
  /** The messages the camera would send now (normal form, before any payload fault). */
  snapshot(cameraId: string): { roi: RoiMessage; frame: FrameMessage };
  stats(): Record<string, { published: number; publishErrors: number; renderErrors: number; connected: boolean }>;
  stop(): Promise<void>;
}

export class UnknownCameraError extends Error {
  constructor(id: string, known: string[]) {
    super(`unknown camera '${id}'; configured cameras: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownCameraError';
  }
}

interface CameraRuntime {
  spec: CameraSpec;
  regions: RegionRect[];
  rackByIndex: Map<number, string>;
  client: DeviceClient;
  prefix: string;
  fault: PayloadFaultKind | null;
  offsets: Map<number, number>;
  occluded: boolean;
  /** the ROI message repeated while frozen */
  frozen: RoiMessage | null;
  lastRoi: RoiMessage | null;
  seq: number;
  renderErrors: number;
}

export async function startCameras(opts: CamerasOptions): Promise<CamerasHandle> {
  const scale = opts.timeScale ?? 1;
  if (!(scale > 0)) throw new RangeError(`startCameras: timeScale must be > 0, got ${scale}`);
  if (opts.intervalMs !== undefined && !(opts.intervalMs > 0)) throw new RangeError(`startCameras: intervalMs must be > 0, got ${opts.intervalMs}`);
  if (opts.frameIntervalMs !== undefined && !(opts.frameIntervalMs >= 0)) throw new RangeError(`startCameras: frameIntervalMs must be >= 0 (0 = on request only), got ${opts.frameIntervalMs}`);
  const now = opts.now ?? Date.now;
  const ambient = opts.readAmbient ?? (() => 25);
  const cams = new Map<string, CameraRuntime>();
  for (const spec of opts.cameras) {
    if (cams.has(spec.id)) throw new RangeError(`startCameras: camera id '${spec.id}' is configured twice`);
    const prefix = `${opts.site}/cameras/${spec.id}`;
    const rt: CameraRuntime = {
      spec, prefix, fault: null, offsets: new Map(), occluded: false, frozen: null, lastRoi: null, seq: 0, renderErrors: 0,
      regions: layoutRegions(spec.racks.map((r) => r.index)),
      rackByIndex: new Map(spec.racks.map((r) => [r.index, r.id])),
      client: new DeviceClient({
        brokerUrl: opts.brokerUrl, device: spec.id, statusTopic: `${prefix}/status`,
        subscriptions: { [`${prefix}/frame/get`]: () => publishFrame(rt) },
      }),
    };
    cams.set(spec.id, rt);
  }
  const get = (id: string) => {
    const c = cams.get(id);
    if (!c) throw new UnknownCameraError(id, [...cams.keys()]);
    return c;
  };

  const render = (c: CameraRuntime) => {
    const surfaceC = new Map<number, number>();
    for (const [index, rackId] of c.rackByIndex) {
      const s = opts.readRackSurface(rackId);
      if (!Number.isFinite(s)) throw new RangeError(`readRackSurface(${rackId}) returned ${s}`);
      surfaceC.set(index, s + (c.offsets.get(index) ?? 0));
    }
    return renderFrame(c.regions, { ambientC: ambient(c.spec.room), surfaceC, occluded: c.occluded });
  };

  const snapshot = (c: CameraRuntime, seq: number) => {
    const ts = Math.round(now());
    const { data, stats } = render(c);
    const roi: RoiMessage = {
      camera: c.spec.id, room: c.spec.room, ts, seq, unit: 'C',
      regions: stats.map((s) => ({ roi: s.index, rack: c.rackByIndex.get(s.index) ?? '', max: s.max, mean: s.mean, hotspot: s.hotspot })),
    };
    const frame: FrameMessage = { camera: c.spec.id, room: c.spec.room, ts, seq, unit: 'C', width: FRAME_WIDTH, height: FRAME_HEIGHT, data };
    return { roi, frame };
  };

  // A failing truth reader (unknown rack) must not kill the timer loop: count it and skip the sample.
  function publishRoi(c: CameraRuntime) {
    try {
      const roi = c.frozen ?? snapshot(c, ++c.seq).roi;
      c.lastRoi = roi;
      c.client.publish(`${c.prefix}/roi`, encodePayload(roi, c.fault, CAMERA_MEASUREMENT_KEYS));
    } catch { c.renderErrors++; }
  }
  function publishFrame(c: CameraRuntime) {
    try {
      const { frame } = snapshot(c, ++c.seq);
      c.client.publish(`${c.prefix}/frame`, encodePayload(frame, c.fault, CAMERA_MEASUREMENT_KEYS));
    } catch { c.renderErrors++; }
  }

  const started: CameraRuntime[] = [];
  try {
    for (const c of cams.values()) { await c.client.start(); started.push(c); }
  } catch (err) {
    await Promise.all(started.map((c) => c.client.stop()));
    throw err;
  }

  const roiWall = Math.max(10, (opts.intervalMs ?? 1000) / scale);
  const frameMs = opts.frameIntervalMs ?? 10_000;
  const timers: NodeJS.Timeout[] = [
    setInterval(() => { for (const c of cams.values()) publishRoi(c); }, roiWall),
  ];
  if (frameMs > 0) timers.push(setInterval(() => { for (const c of cams.values()) publishFrame(c); }, Math.max(10, frameMs / scale)));
  for (const c of cams.values()) publishRoi(c);

  return {
    topicPrefix: (id) => get(id).prefix,
    injectPayloadFault(id, kind) {
      assertFaultKind(kind);
      get(id).fault = kind;
    },
    setRegionOffset(id, rackIndex, offsetC) {
      const c = get(id);
      if (!c.rackByIndex.has(rackIndex)) throw new RangeError(`camera ${id} has no region for rack index ${rackIndex}`);
      if (!Number.isFinite(offsetC)) throw new RangeError(`setRegionOffset: offset must be finite, got ${offsetC}`);
      if (offsetC === 0) c.offsets.delete(rackIndex); else c.offsets.set(rackIndex, offsetC);
    },
    setOccluded(id, occluded) { get(id).occluded = occluded; },
    setFrozen(id, frozen) {
      const c = get(id);
      c.frozen = frozen ? c.lastRoi ?? snapshot(c, ++c.seq).roi : null;
    },
    setOffline: (id, offline) => get(id).client.setOffline(offline),
    publishNow(id, o = {}) {
      const c = get(id);
      publishRoi(c);
      if (o.frame) publishFrame(c);
    },
    snapshot: (id) => snapshot(get(id), get(id).seq),
    stats: () => Object.fromEntries([...cams].map(([id, c]) => [id, { published: c.client.published, publishErrors: c.client.publishErrors, renderErrors: c.renderErrors, connected: c.client.connected }])),
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([...cams.values()].map((c) => c.client.stop()));
    },
  };
}
