/**
 * A 32×24 thermal frame of one battery room and its regions of interest (one per rack). Racks
 * are laid out on a grid of cells; each rack's region is its cell less a 1-pixel margin (when the
 * cell has room). Inside a region the temperature falls off from a hotspot at the region centre:
 *
 *   T(px) = A + (S − A) · max(0.5, 1 − 0.15·d)      d = distance to the hotspot in pixels
 *
 * with S the rack surface temperature (+ the region's offset fault) and A the room ambient; the
 * hotspot pixel is exactly S, so the region max is S (to the 0.1 °C resolution). An occluded
 * camera (curtain down, steam) sees the occluder: A + 0.1·(S − A)·(same fall-off).
 * Region statistics are computed from the rendered pixels, so the frame and the ROI message agree.
 */
export const FRAME_WIDTH = 32;
export const FRAME_HEIGHT = 24;

export interface RegionRect {
  /** Rack index (1-based), also the region number. */
  index: number;
  x: number;
  y: number;
  w: number;
  h: number;
  hotspot: [number, number];
}

export interface RegionStats {
  index: number;
  max: number;
  mean: number;
  hotspot: [number, number];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export class LayoutError extends RangeError {
  constructor(n: number) {
    super(`a ${FRAME_WIDTH}×${FRAME_HEIGHT} camera frame holds at most ${FRAME_WIDTH * FRAME_HEIGHT} regions; got ${n} racks (split them over several cameras)`);
    this.name = 'LayoutError';
  }
}

/** Grid layout of `indexes.length` regions (in the given order) on the frame. */
export function layoutRegions(indexes: readonly number[]): RegionRect[] {
  const n = indexes.length;
  if (n === 0) return [];
  if (n > FRAME_WIDTH * FRAME_HEIGHT) throw new LayoutError(n);
  let cols = Math.min(n, Math.ceil(Math.sqrt((n * FRAME_WIDTH) / FRAME_HEIGHT)));
  let rows = Math.ceil(n / cols);
  while (rows > FRAME_HEIGHT || Math.floor(FRAME_HEIGHT / rows) < 1) { cols++; rows = Math.ceil(n / cols); }
  while (cols > FRAME_WIDTH) { rows++; cols = Math.ceil(n / rows); }
  const cw = Math.floor(FRAME_WIDTH / cols);
  const ch = Math.floor(FRAME_HEIGHT / rows);
  const mx = cw >= 3 ? 1 : 0;
  const my = ch >= 3 ? 1 : 0;
  return indexes.map((index, i) => {
    const x = (i % cols) * cw + mx;
    const y = Math.floor(i / cols) * ch + my;
    const w = cw - 2 * mx;
    const h = ch - 2 * my;
    return { index, x, y, w, h, hotspot: [x + Math.floor((w - 1) / 2), y + Math.floor((h - 1) / 2)] };
  });
}

export interface RenderInput {
  ambientC: number;
  /** Surface temperature per region index, °C (offset faults already applied). */
  surfaceC: Map<number, number>;
  occluded: boolean;
}

/** Render the frame (row-major, FRAME_WIDTH × FRAME_HEIGHT, °C rounded to 0.1) and each region's stats. */
export function renderFrame(regions: readonly RegionRect[], input: RenderInput): { data: number[]; stats: RegionStats[] } {
  const a = input.ambientC;
  const data = new Array<number>(FRAME_WIDTH * FRAME_HEIGHT).fill(round1(a));
  const stats: RegionStats[] = [];
  for (const r of regions) {
    const s = input.surfaceC.get(r.index) ?? a;
    const gain = input.occluded ? 0.1 : 1;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let hot: [number, number] = r.hotspot;
    for (let y = r.y; y < r.y + r.h; y++) {
      for (let x = r.x; x < r.x + r.w; x++) {
        const d = Math.hypot(x - r.hotspot[0], y - r.hotspot[1]);
        const t = round1(a + (s - a) * gain * Math.max(0.5, 1 - 0.15 * d));
        data[y * FRAME_WIDTH + x] = t;
        sum += t;
        if (t > max) { max = t; hot = [x, y]; }
      }
    }
    stats.push({ index: r.index, max, mean: round1(sum / (r.w * r.h)), hotspot: hot });
  }
  return { data, stats };
}
