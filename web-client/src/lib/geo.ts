// Drawing lon/lat on a canvas with no tile server: a local equirectangular projection
// (metres about the data's centre; fine over a force area), the outline of a set of grid
// cells and a scale bar with a round length.

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

/** The outline of a set of grid cells: every side of a cell whose neighbour across it is
 *  not in the set, as segments. Cells are `[column, row]` on one grid. */
export function gridOutline(cells: [number, number][]): [[number, number], [number, number]][] {
  const have = new Set(cells.map(([c, r]) => `${c},${r}`));
  const out: [[number, number], [number, number]][] = [];
  for (const [c, r] of cells) {
    if (!have.has(`${c},${r - 1}`)) out.push([[c, r], [c + 1, r]]);
    if (!have.has(`${c},${r + 1}`)) out.push([[c, r + 1], [c + 1, r + 1]]);
    if (!have.has(`${c - 1},${r}`)) out.push([[c, r], [c, r + 1]]);
    if (!have.has(`${c + 1},${r}`)) out.push([[c + 1, r], [c + 1, r + 1]]);
  }
  return out;
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
