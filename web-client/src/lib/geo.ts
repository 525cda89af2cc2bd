// Drawing lon/lat on a canvas with no tile server: a local equirectangular projection
// (metres about the data's centre; fine over a force area), the outline of the records
// (convex hull) and a scale bar with a round length.

export type LonLat = [number, number];
export type XY = [number, number];

const EARTH_RADIUS_M = 6_371_008.8;

/** Metres east and north of `centre` for each point. */
export function projector(centre: LonLat): (p: LonLat) => XY {
  const k = Math.PI / 180;
  const cos = Math.cos(centre[1] * k);
  return ([lon, lat]) => [(lon - centre[0]) * k * cos * EARTH_RADIUS_M, (lat - centre[1]) * k * EARTH_RADIUS_M];
}

/** Bounds of a set of points: [minX, minY, maxX, maxY]. */
export function bounds(points: XY[]): [number, number, number, number] {
  let b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
  return b;
}

/** Convex hull (Andrew's monotone chain), counter-clockwise, no repeated end point. */
export function convexHull(points: XY[]): XY[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: XY, a: XY, b: XY) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: XY[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: XY[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** The largest round length (1, 2 or 5 × 10^k metres) not longer than `maxMetres`,
 *  with its label. */
export function scaleBar(maxMetres: number): { metres: number; label: string } {
  if (!(maxMetres > 0)) return { metres: 0, label: '' };
  const pow = 10 ** Math.floor(Math.log10(maxMetres));
  const metres = [5, 2, 1].map((m) => m * pow).find((m) => m <= maxMetres) ?? pow;
  const label = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
  return { metres, label };
}
