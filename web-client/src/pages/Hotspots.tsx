// Hot-spots on a map drawn with no tile server: square cells on a local projection,
// coloured by Gi* class or KDE density, the records' outline and a scale bar. Clicking
// a cell (or picking it in the list) lists its incidents.
import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { HotspotClass, HotspotKind, HotspotMethod } from '../gql/graphql';
import { Empty, ErrorState, Loading } from '../components/States';
import { ForceSelect } from '../forces';
import { entityHref, formatDay } from '../lib/entity';
import { hotspotClass } from '../lib/explain';
import { Terms } from '../components/Terms';
import { navigate } from '../router';
import { bounds, gridOutline, projector, scaleBar, type LonLat, type XY } from '../lib/geo';

const HotspotsQuery = graphql(`
  query Hotspots($method: HotspotMethod!, $kind: HotspotKind!, $force: String, $from: DateTime, $to: DateTime, $cellSize: Float!, $weighting: HotspotWeighting!) {
    hotspots(method: $method, kind: $kind, force: $force, from: $from, to: $to, cellSize: $cellSize, weighting: $weighting) {
      records
      studyAreaKm2
      hotAreaKm2
      harmTable
      cells { id geometry count harm value z p class density hot }
    }
  }
`);

const CellQuery = graphql(`
  query HotspotCell($cell: String!, $kind: HotspotKind!, $force: String, $from: DateTime, $to: DateTime) {
    hotspotIncidents(cell: $cell, kind: $kind, force: $force, from: $from, to: $to, first: 50) {
      total
      nodes { key label caption crimeType offenceCode occurredAt harm place }
    }
  }
`);

const CLASS_COLOUR: Record<HotspotClass, string> = {
  HOT_99: '#b2182b', HOT_95: '#ef8a62', HOT_90: '#fddbc7', NOT_SIGNIFICANT: '#f2f2f2',
  COLD_90: '#d1e5f0', COLD_95: '#67a9cf', COLD_99: '#2166ac',
};
const KDE_RAMP = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'];
const W = 760;
const H = 560;
const PAD = 20;

function iso(date: string): string | null {
  return date ? new Date(`${date}T00:00:00Z`).toISOString() : null;
}

export function HotspotsPage({ params }: { params: URLSearchParams }) {
  const method = (params.get('method') as HotspotMethod) || 'GISTAR';
  const kind = (params.get('kind') as HotspotKind) || 'INCIDENTS';
  const force = params.get('force') || 'WYP';
  const from = params.get('from') ?? '2018-07-01';
  const to = params.get('to') ?? '2018-08-01';
  const cellSize = Number(params.get('cell') ?? '250') || 250;
  const weighting = params.get('weighting') === 'HARM' ? 'HARM' : 'COUNT';
  const go = (c: Record<string, string>) =>
    navigate('/hotspots', { method, kind, force, from, to, cell: cellSize, weighting, ...c });
  const vars = { method, kind, force, from: iso(from), to: iso(to), cellSize, weighting } as const;
  const [{ data, error }, refetch] = useQuery({ query: HotspotsQuery, variables: vars });
  const [cell, setCell] = useState<string | null>(null);

  return (
    <section aria-labelledby="hs-h">
      <h1 id="hs-h">Hot-spots</h1>
      <div className="controls">
        <label>
          Method
          <select value={method} onChange={(e) => go({ method: e.target.value })}>
            <option value="GISTAR">Getis-Ord Gi*</option>
            <option value="KDE">Kernel density</option>
          </select>
        </label>
        <label>
          Records
          <select value={kind} onChange={(e) => go({ kind: e.target.value })}>
            <option value="INCIDENTS">All incidents</option>
            <option value="VAWG">VAWG incidents</option>
            <option value="MISSING">Where missing people were found</option>
          </select>
        </label>
        <ForceSelect value={force} onChange={(f) => go({ force: f })} />
        <label>
          From
          <input type="date" value={from} onChange={(e) => go({ from: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => go({ to: e.target.value })} />
        </label>
        <label>
          Cell (m)
          <select value={cellSize} onChange={(e) => go({ cell: e.target.value })}>
            {[100, 250, 500, 1000].map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Weight
          <select value={weighting} onChange={(e) => go({ weighting: e.target.value })}>
            <option value="COUNT">Count</option>
            <option value="HARM">Crime harm</option>
          </select>
        </label>
      </div>
      {error && <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && !error && <Loading what="the map" />}
      {data && data.hotspots.cells.length === 0 && <Empty>No located records for this force and period.</Empty>}
      {data && data.hotspots.cells.length > 0 && (
        <div className="map-layout">
          <div>
            <p className="meta" role="status">
              {data.hotspots.records} records · {data.hotspots.cells.length} cells · study area {data.hotspots.studyAreaKm2.toFixed(1)} km² · hot area{' '}
              {data.hotspots.hotAreaKm2.toFixed(2)} km²{weighting === 'HARM' && <> · harm table {data.hotspots.harmTable}</>}
            </p>
            <MapSvg cells={data.hotspots.cells} method={method} selected={cell} onCell={setCell} />
            <Legend method={method} />
            <Terms names={['Gi*', 'KDE', 'CHI']} />
          </div>
          <aside aria-label="Cells">
            <h2>Hottest cells</h2>
            <ol className="celllist">
              {data.hotspots.cells
                .filter((c) => c.hot)
                .slice(0, 15)
                .map((c) => (
                  <li key={c.id}>
                    <button type="button" aria-pressed={cell === c.id} onClick={() => setCell(c.id)}>
                      {c.count} records · {method === 'GISTAR' ? `${hotspotClass(c.class)}, z ${c.z?.toFixed(2)}` : `${c.density?.toFixed(1)} /km²`}
                    </button>
                  </li>
                ))}
            </ol>
            {cell && <CellRecords cell={cell} kind={kind} force={force} from={iso(from)} to={iso(to)} />}
          </aside>
        </div>
      )}
    </section>
  );
}

interface Cell {
  id: string;
  geometry: unknown;
  count: number;
  class?: HotspotClass | null;
  density?: number | null;
  z?: number | null;
  hot: boolean;
}

function ring(geometry: unknown): LonLat[] {
  const g = geometry as { coordinates?: number[][][] };
  return (g.coordinates?.[0] ?? []).map((p) => [p[0], p[1]] as LonLat);
}

function MapSvg({ cells, method, selected, onCell }: { cells: Cell[]; method: HotspotMethod; selected: string | null; onCell: (id: string) => void }) {
  const drawn = useMemo(() => {
    const rings = cells.map((c) => ring(c.geometry));
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
  const bar = scaleBar(drawn.metresPerPx * 160);
  const fill = (c: Cell) => {
    if (method === 'GISTAR') return CLASS_COLOUR[c.class ?? 'NOT_SIGNIFICANT'];
    const t = Math.sqrt((c.density ?? 0) / drawn.maxDensity);
    return KDE_RAMP[Math.min(KDE_RAMP.length - 1, Math.floor(t * KDE_RAMP.length))];
  };
  return (
    <svg className="map" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="group" aria-label="Hot-spot map">
      <rect width={W} height={H} fill="#fcfcfa" />

      {cells.map((c, i) => (
        <polygon
          key={c.id}
          points={drawn.polys[i].map((p) => p.join(',')).join(' ')}
          fill={fill(c)}
          stroke={selected === c.id ? '#000' : c.hot ? '#7a0a14' : 'none'}
          strokeWidth={selected === c.id ? 2 : 0.5}
          className={c.hot ? 'cell hot' : 'cell'}
          data-cell={c.id}
          data-class={c.class ?? undefined}
          onClick={() => onCell(c.id)}
        >
          <title>
            {c.count} records{c.z != null ? `, z ${c.z.toFixed(2)}` : ''}
            {c.class ? `, ${hotspotClass(c.class)}` : ''}
          </title>
        </polygon>
      ))}
      <path d={drawn.outline} fill="none" stroke="#9a9a9a" strokeWidth={0.6} className="outline">
        <title>Study area: the cells with records</title>
      </path>
      <g transform={`translate(${PAD},${H - 12})`}>
        <line x1={0} x2={bar.metres / drawn.metresPerPx} y1={0} y2={0} stroke="#000" strokeWidth={3} />
        <text x={0} y={-5} fontSize={11}>
          {bar.label}
        </text>
      </g>
      <text x={W - PAD} y={PAD} fontSize={12} textAnchor="end">
        N ↑
      </text>
    </svg>
  );
}

function Legend({ method }: { method: HotspotMethod }) {
  const outline = (
    <li key="outline">
      <span className="swatch outline" /> study area (cells with records; no boundary file is loaded)
    </li>
  );
  return method === 'GISTAR' ? (
    <ul className="legend" aria-label="Legend">
      {outline}
      {(Object.keys(CLASS_COLOUR) as HotspotClass[]).map((k) => (
        <li key={k}>
          <span className="swatch" style={{ background: CLASS_COLOUR[k] }} /> {hotspotClass(k)}
        </li>
      ))}
    </ul>
  ) : (
    <ul className="legend" aria-label="Legend">
      {outline}
      {KDE_RAMP.map((c, i) => (
        <li key={c}>
          <span className="swatch" style={{ background: c }} /> {i === 0 ? 'lowest density' : i === KDE_RAMP.length - 1 ? 'highest' : ''}
        </li>
      ))}
    </ul>
  );
}

function CellRecords(props: { cell: string; kind: HotspotKind; force: string; from: string | null; to: string | null }) {
  const [{ data, error }] = useQuery({ query: CellQuery, variables: props });
  return (
    <section aria-label="Records in the cell" className="cellrecords">
      <h2>In this cell</h2>
      {error && <ErrorState error={error} />}
      {!data && !error && <Loading what="records" />}
      {data && (
        <>
          <p role="status">{data.hotspotIncidents.total} records</p>
          <ul>
            {data.hotspotIncidents.nodes.map((r) => (
              <li key={r.key}>
                <a href={entityHref(r.key)}>{r.crimeType ?? r.label}</a> {formatDay(r.occurredAt)}{' '}
                <span className="muted">
                  {r.place}
                  {r.harm != null && <> · harm {r.harm}</>}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
