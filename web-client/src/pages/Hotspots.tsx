// Hot-spots: every option of the analysis (method, records, period, cell, weighting, the
// Gi* band and FDR correction, the KDE bandwidth and hot share, a later period to score
// the map's prediction against), the map (components/HotspotMap) and the hottest cells.
// Clicking a cell (or picking it in the list) lists its incidents.
import { useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { HotspotClass, HotspotKind, HotspotMethod } from '../gql/graphql';
import { CLASS_COLOUR, HotspotMap, KDE_RAMP } from '../components/HotspotMap';
import { Empty, ErrorState, Loading } from '../components/States';
import { ForceSelect } from '../forces';
import { entityHref, formatDay } from '../lib/entity';
import { hotspotClass } from '../lib/explain';
import { Terms } from '../components/Terms';
import { navigate } from '../router';

const HotspotsQuery = graphql(`
  query Hotspots(
    $method: HotspotMethod!, $kind: HotspotKind!, $force: String, $from: DateTime, $to: DateTime, $cellSize: Float!, $weighting: HotspotWeighting!,
    $band: Float, $bandwidth: Float, $fdr: Boolean!, $hotShare: Float!, $evaluateFrom: DateTime, $evaluateTo: DateTime, $hotOnly: Boolean!
  ) {
    hotspots(
      method: $method, kind: $kind, force: $force, from: $from, to: $to, cellSize: $cellSize, weighting: $weighting,
      band: $band, bandwidth: $bandwidth, fdr: $fdr, hotShare: $hotShare, evaluateFrom: $evaluateFrom, evaluateTo: $evaluateTo, hotOnly: $hotOnly
    ) {
      band
      bandwidth
      pai
      paiRecords
      records
      studyAreaKm2
      hotAreaKm2
      harmTable
      cells { id count z class density hot }
      places(first: 15) { cell place area records total }
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

/** A positive number from the address, or null (the server's default). */
function positive(v: string | null): number | null {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? n : null;
}

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
  const band = positive(params.get('band'));
  const bandwidth = positive(params.get('bandwidth'));
  const fdr = params.get('fdr') === '1';
  const hotShare = Math.min(50, positive(params.get('hot')) ?? 5);
  const evalFrom = params.get('evalFrom') ?? '';
  const evalTo = params.get('evalTo') ?? '';
  const hotOnly = params.get('hotOnly') === '1';
  const go = (c: Record<string, string>) =>
    navigate('/hotspots', {
      method, kind, force, from, to, cell: cellSize, weighting, band: band ?? '', bandwidth: bandwidth ?? '', fdr: fdr ? '1' : '',
      hot: hotShare, evalFrom, evalTo, hotOnly: hotOnly ? '1' : '', ...c,
    });
  const vars = {
    method, kind, force, from: iso(from), to: iso(to), cellSize, weighting, band, bandwidth, fdr, hotShare: hotShare / 100,
    evaluateFrom: evalFrom && evalTo ? iso(evalFrom) : null, evaluateTo: evalFrom && evalTo ? iso(evalTo) : null, hotOnly,
  } as const;
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
        {method === 'GISTAR' ? (
          <>
            <label title="Cells within this distance count as neighbours (default 1.5 cells: a cell and the eight around it)">
              Band (m)
              <input type="number" min={0} step={50} placeholder={`${cellSize * 1.5}`} value={band ?? ''} onChange={(e) => go({ band: e.target.value })} />
            </label>
            <label className="check" title="Benjamini–Hochberg correction: fewer cells called hot by chance when many are tested">
              <input type="checkbox" checked={fdr} onChange={(e) => go({ fdr: e.target.checked ? '1' : '' })} />
              FDR correction
            </label>
          </>
        ) : (
          <>
            <label title="How far each record's weight spreads (default 3 cells)">
              Bandwidth (m)
              <input type="number" min={0} step={50} placeholder={`${cellSize * 3}`} value={bandwidth ?? ''} onChange={(e) => go({ bandwidth: e.target.value })} />
            </label>
            <label title="The share of the study area, densest first, marked hot">
              Hot share (%)
              <input type="number" min={1} max={50} value={hotShare} onChange={(e) => go({ hot: e.target.value })} />
            </label>
          </>
        )}
        <label className="check" title="Draw only the hot cells: needed for small cells over a whole force, where the map would hold too many">
          <input type="checkbox" checked={hotOnly} onChange={(e) => go({ hotOnly: e.target.checked ? '1' : '' })} />
          Hot cells only
        </label>
        <fieldset className="evaluate">
          <legend>Score against a later period (PAI)</legend>
          <label>
            From
            <input type="date" value={evalFrom} onChange={(e) => go({ evalFrom: e.target.value })} />
          </label>
          <label>
            To
            <input type="date" value={evalTo} onChange={(e) => go({ evalTo: e.target.value })} />
          </label>
        </fieldset>
      </div>
      {error && <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {error && !hotOnly && /hotOnly/.test(error.message) && (
        <p>
          <button type="button" onClick={() => go({ hotOnly: '1' })}>
            Draw the hot cells only
          </button>
        </p>
      )}
      {!data && !error && <Loading what="the map" />}
      {data && data.hotspots.cells.length === 0 && <Empty>No located records for this force and period.</Empty>}
      {data && data.hotspots.cells.length > 0 && (
        <div className="map-layout">
          <div>
            <p className="meta" role="status">
              {data.hotspots.records} records · {data.hotspots.cells.length} cells · study area {data.hotspots.studyAreaKm2.toFixed(1)} km² · hot area{' '}
              {data.hotspots.hotAreaKm2.toFixed(2)} km²{weighting === 'HARM' && <> · harm table {data.hotspots.harmTable}</>}
              {data.hotspots.band != null && <> · band {Math.round(data.hotspots.band)} m</>}
              {data.hotspots.bandwidth != null && <> · bandwidth {Math.round(data.hotspots.bandwidth)} m</>}
              {data.hotspots.pai != null && (
                <>
                  {' '}
                  · <strong>PAI {data.hotspots.pai.toFixed(2)}</strong> ({data.hotspots.paiRecords} records {formatDay(vars.evaluateFrom)}–{formatDay(vars.evaluateTo)})
                </>
              )}
            </p>
            <HotspotMap cells={data.hotspots.cells} method={method} selected={cell} onCell={setCell} labels={labels(data.hotspots.places)} />
            <Legend method={method} />
            <Terms names={['Gi*', 'KDE', 'FDR', 'PAI', 'CHI']} />
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
                      {placeName(data.hotspots.places.find((p) => p.cell === c.id))}
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

interface Place {
  cell: string;
  place?: string | null;
  area?: string | null;
  records: number;
  total: number;
}

/** "On or near Kirkgate, Leeds 111B: " for a cell the data names, else nothing. */
function placeName(p: Place | undefined): string {
  if (!p || (!p.place && !p.area)) return '';
  return `${[p.place, p.area].filter(Boolean).join(', ')}: `;
}

/** Map labels for the strongest named cells: the street without "On or near". */
function labels(places: Place[]): Map<string, string> {
  return new Map(
    places
      .slice(0, 8)
      .filter((p) => p.place || p.area)
      .map((p) => [p.cell, (p.place ?? p.area ?? '').replace(/^On or near /i, '')]),
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
