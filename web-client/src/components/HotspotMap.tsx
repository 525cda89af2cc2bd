// The hot-spot map, drawn with no tile server: square cells on a local projection,
// coloured by Gi* class or KDE density, the records' outline, a scale bar that follows
// the zoom. Zoom with the wheel or the buttons, pan by dragging (or the arrow buttons).
import { useMemo, useRef, useState } from 'react';
import type { HotspotClass, HotspotMethod } from '../gql/graphql';
import { hotspotClass } from '../lib/explain';
import { bounds, gridOutline, projector, scaleBar, type LonLat, type XY } from '../lib/geo';

export const CLASS_COLOUR: Record<HotspotClass, string> = {
  HOT_99: '#b2182b', HOT_95: '#ef8a62', HOT_90: '#fddbc7', NOT_SIGNIFICANT: '#f2f2f2',
  COLD_90: '#d1e5f0', COLD_95: '#67a9cf', COLD_99: '#2166ac',
};
export const KDE_RAMP = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'];
const W = 760;
const H = 560;
const PAD = 20;
const MAX_ZOOM = 40;

export interface Cell {
  /** `west,south,east,north` in degrees. */
  id: string;
  count: number;
  class?: HotspotClass | null;
  density?: number | null;
  z?: number | null;
  hot: boolean;
}

interface View {
  k: number;
  x: number;
  y: number;
}

/** A cell's corners from its id (`west,south,east,north`): a fraction of the size of its
 *  GeoJSON, which a force-wide map of thousands of cells need not fetch. */
export function ring(id: string): LonLat[] {
  const [w, s, e, n] = id.split(',').map(Number);
  return [[w, s], [e, s], [e, n], [w, n]];
}

/** `view` zoomed by `f` about the point (`cx`, `cy`) of the drawing, within 1×–40×. */
export function zoomAbout(view: View, f: number, cx: number, cy: number): View {
  const k = Math.min(MAX_ZOOM, Math.max(1, view.k * f));
  const g = k / view.k;
  return { k, x: cx - (cx - view.x) * g, y: cy - (cy - view.y) * g };
}

export function HotspotMap(props: {
  cells: Cell[];
  method: HotspotMethod;
  selected: string | null;
  onCell: (id: string) => void;
  /** Place names to write on cells, by cell id. */
  labels: Map<string, string>;
}) {
  const { cells, method, selected, onCell, labels } = props;
  const svg = useRef<SVGSVGElement>(null);
  const [view, setView] = useState<View>({ k: 1, x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const drawn = useMemo(() => {
    const rings = cells.map((c) => ring(c.id));
    const all = rings.flat();
    const lon = all.reduce((s, p) => s + p[0], 0) / all.length;
    const lat = all.reduce((s, p) => s + p[1], 0) / all.length;
    const project = projector([lon, lat]);
    const xy = rings.map((r) => r.map(project));
    const [x0, y0, x1, y1] = bounds(xy.flat());
    const k = Math.min((W - 2 * PAD) / (x1 - x0 || 1), (H - 2 * PAD) / (y1 - y0 || 1));
    const toScreen = ([x, y]: XY): XY => [PAD + (x - x0) * k, H - PAD - (y - y0) * k];
    const maxDensity = cells.reduce((m, c) => Math.max(m, c.density ?? 0), 1e-9);
    // The study area (cells with records) outlined on the cells' own grid.
    const west0 = rings.reduce((m, r) => Math.min(m, r[0][0], r[2][0]), Infinity);
    const south0 = rings.reduce((m, r) => Math.min(m, r[0][1], r[2][1]), Infinity);
    const w = Math.abs(rings[0][2][0] - rings[0][0][0]) || 1e-9;
    const h = Math.abs(rings[0][2][1] - rings[0][0][1]) || 1e-9;
    const grid = rings.map((r) => [Math.round((Math.min(r[0][0], r[2][0]) - west0) / w), Math.round((Math.min(r[0][1], r[2][1]) - south0) / h)] as [number, number]);
    const outline = gridOutline(grid)
      .map(([a, b]) => [toScreen(project([west0 + a[0] * w, south0 + a[1] * h])), toScreen(project([west0 + b[0] * w, south0 + b[1] * h]))])
      .map(([a, b]) => `M${a[0].toFixed(1)},${a[1].toFixed(1)}L${b[0].toFixed(1)},${b[1].toFixed(1)}`)
      .join('');
    return { polys: xy.map((r) => r.map(toScreen)), outline, metresPerPx: 1 / k, maxDensity };
  }, [cells]);
  const bar = scaleBar((drawn.metresPerPx / view.k) * 160);
  const fill = (c: Cell) => {
    if (method === 'GISTAR') return CLASS_COLOUR[c.class ?? 'NOT_SIGNIFICANT'];
    const t = Math.sqrt((c.density ?? 0) / drawn.maxDensity);
    return KDE_RAMP[Math.min(KDE_RAMP.length - 1, Math.floor(t * KDE_RAMP.length))];
  };
  /** A pointer's place in the drawing's units. */
  const at = (clientX: number, clientY: number): XY => {
    const r = svg.current!.getBoundingClientRect();
    return [((clientX - r.left) * W) / r.width, ((clientY - r.top) * H) / r.height];
  };
  const zoomBy = (f: number) => setView((v) => zoomAbout(v, f, W / 2, H / 2));
  const pan = (dx: number, dy: number) => setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
  return (
    <div className="map-frame">
      <div className="map-tools" role="group" aria-label="Zoom and pan">
        <button type="button" onClick={() => zoomBy(1.5)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => zoomBy(1 / 1.5)} aria-label="Zoom out" disabled={view.k <= 1}>
          −
        </button>
        <button type="button" onClick={() => pan(0, 80)} aria-label="Pan north">
          ↑
        </button>
        <button type="button" onClick={() => pan(0, -80)} aria-label="Pan south">
          ↓
        </button>
        <button type="button" onClick={() => pan(80, 0)} aria-label="Pan west">
          ←
        </button>
        <button type="button" onClick={() => pan(-80, 0)} aria-label="Pan east">
          →
        </button>
        <button type="button" onClick={() => setView({ k: 1, x: 0, y: 0 })} disabled={view.k === 1 && view.x === 0 && view.y === 0}>
          Whole area
        </button>
        <span className="muted">{view.k.toFixed(1)}× · wheel to zoom, drag to pan</span>
      </div>
      <svg
        ref={svg}
        className="map"
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        role="group"
        aria-label="Hot-spot map"
        onWheel={(e) => {
          const [cx, cy] = at(e.clientX, e.clientY);
          setView((v) => zoomAbout(v, e.deltaY < 0 ? 1.25 : 1 / 1.25, cx, cy));
        }}
        onPointerDown={(e) => {
          drag.current = { x: e.clientX, y: e.clientY, moved: false };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d || e.buttons === 0) return;
          const [x0, y0] = at(d.x, d.y);
          const [x1, y1] = at(e.clientX, e.clientY);
          if (!d.moved && Math.hypot(x1 - x0, y1 - y0) < 3) return;
          d.moved = true;
          drag.current = { x: e.clientX, y: e.clientY, moved: true };
          pan(x1 - x0, y1 - y0);
        }}
        onPointerUp={() => {
          // A drag that moved is a pan, not a click on the cell under it.
          setTimeout(() => (drag.current = null), 0);
        }}
      >
        <rect width={W} height={H} fill="#fcfcfa" />
        <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
          {cells.map((c, i) => (
            <polygon
              key={c.id}
              points={drawn.polys[i].map((p) => p.join(',')).join(' ')}
              fill={fill(c)}
              stroke={selected === c.id ? '#000' : c.hot ? '#7a0a14' : 'none'}
              strokeWidth={selected === c.id ? 2 : 0.5}
              vectorEffect="non-scaling-stroke"
              className={c.hot ? 'cell hot' : 'cell'}
              data-cell={c.id}
              data-class={c.class ?? undefined}
              onClick={() => {
                if (!drag.current?.moved) onCell(c.id);
              }}
            >
              <title>
                {c.count} records{c.z != null ? `, z ${c.z.toFixed(2)}` : ''}
                {c.class ? `, ${hotspotClass(c.class)}` : ''}
              </title>
            </polygon>
          ))}
          <path d={drawn.outline} fill="none" stroke="#9a9a9a" strokeWidth={0.6} vectorEffect="non-scaling-stroke" className="outline">
            <title>Study area: the cells with records</title>
          </path>
          {placed(cells, drawn.polys, labels, view.k).map((l) => (
            <text key={`label-${l.id}`} className="place" x={l.x} y={l.y} fontSize={11 / view.k} strokeWidth={3 / view.k}>
              {l.name}
            </text>
          ))}
        </g>
        <g transform={`translate(${PAD},${H - 12})`}>
          <rect x={-4} y={-20} width={bar.metres / (drawn.metresPerPx / view.k) + 8} height={26} fill="#fcfcfa" opacity={0.8} />
          <line x1={0} x2={bar.metres / (drawn.metresPerPx / view.k)} y1={0} y2={0} stroke="#000" strokeWidth={3} />
          <text className="scale" x={0} y={-5} fontSize={11}>
            {bar.label}
          </text>
        </g>
        <text x={W - PAD} y={PAD} fontSize={12} textAnchor="end">
          N ↑
        </text>
      </svg>
    </div>
  );
}

/** Labels beside their cells, strongest first, each left out where it would overlap one
 *  already placed (at zoom `k`, so zooming in makes room for more). */
export function placed(cells: { id: string }[], polys: XY[][], labels: Map<string, string>, k: number) {
  const out: { id: string; name: string; x: number; y: number }[] = [];
  const boxes: [number, number, number, number][] = [];
  cells.forEach((c, i) => {
    const name = labels.get(c.id);
    if (!name) return;
    const [, y0, x1, y1] = bounds(polys[i]);
    const x = x1 + 3 / k;
    const y = (y0 + y1) / 2;
    const box: [number, number, number, number] = [x, y - 7 / k, x + (name.length * 6.2) / k, y + 7 / k];
    if (boxes.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) return;
    boxes.push(box);
    out.push({ id: c.id, name, x, y });
  });
  return out;
}
