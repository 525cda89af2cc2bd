// Exports of exactly what the link chart shows: a PNG with a title, the legend and the
// protective marking above and below, GraphML, and CSVs of the nodes and links.
import { useContext } from 'react';
import type { Core } from 'cytoscape';
import type { GraphEdge } from '../gql/graphql';
import { download, toCsv } from '../lib/csv';
import { toGraphML } from '../lib/graphml';
import { MarkingContext } from '../session';
import { LABEL_SHAPE, shapeOutline, type Node } from './NetworkCanvas';

export function Exports({ nodes, edges, title }: { nodes: Map<string, Node>; edges: Map<string, GraphEdge>; title: string }) {
  const marking = useContext(MarkingContext);
  const ns = [...nodes.values()];
  const es = [...edges.values()];
  const png = async () => {
    const cy = (window as unknown as { toexCy?: Core }).toexCy;
    if (!cy) return;
    const labels = [...new Set(ns.map((n) => n.label))].sort();
    download('toex-network.png', await chartPng(cy, { marking, title: `${title} · ${ns.length} nodes, ${es.length} links`, labels }));
  };
  return (
    <section aria-label="Export">
      <h2>Export</h2>
      <div className="buttons">
        <button type="button" onClick={() => void png()} disabled={ns.length === 0}>
          PNG
        </button>
        <button
          type="button"
          disabled={ns.length === 0}
          onClick={() => download('toex-network.graphml', toGraphML(ns.map((n) => ({ ...n, betweenness: n.betweenness ?? null })), es), 'application/graphml+xml')}
        >
          GraphML
        </button>
        <button
          type="button"
          disabled={ns.length === 0}
          onClick={() =>
            download(
              'toex-network-nodes.csv',
              toCsv(ns, [
                ['key', (n) => n.key], ['label', (n) => n.label], ['caption', (n) => n.caption], ['force', (n) => n.force],
                ['degree', (n) => n.degree], ['betweenness_normalized', (n) => n.betweenness], ['community', (n) => n.community],
              ]),
            )
          }
        >
          Nodes CSV
        </button>
        <button
          type="button"
          disabled={es.length === 0}
          onClick={() =>
            download(
              'toex-network-links.csv',
              toCsv(es, [
                ['from', (e) => e.from], ['to', (e) => e.to], ['type', (e) => e.type], ['role', (e) => e.role], ['weight', (e) => e.weight],
                ['count', (e) => e.count], ['first_seen', (e) => e.firstSeen], ['last_seen', (e) => e.lastSeen], ['source', (e) => e.source],
              ]),
            )
          }
        >
          Links CSV
        </button>
      </div>
    </section>
  );
}

/** The drawing as one image: the marking, a title line, the chart, its legend, the marking again. */
async function chartPng(cy: Core, o: { marking: string; title: string; labels: string[] }): Promise<Blob> {
  const drawing = await image(cy.png({ full: true, bg: '#ffffff', scale: 2 }) as unknown as string);
  const u = 2; // the drawing's scale: text and legend at the same scale
  const pad = 16 * u;
  const band = 28 * u;
  const line = 22 * u;
  const legendItems = [...o.labels.map((l) => ({ l, shape: LABEL_SHAPE[l] ?? 'ellipse' })), ...MEANINGS.map((l) => ({ l, shape: '' }))];
  const width = Math.max(drawing.width + 2 * pad, 900 * u);
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d')!;
  ctx.font = `${12 * u}px sans-serif`;
  // Lay the legend out in rows that fit the width.
  const rows: { l: string; shape: string; x: number }[][] = [[]];
  let x = pad;
  for (const item of legendItems) {
    const w = (item.shape ? 18 * u : 0) + ctx.measureText(item.l).width + 18 * u;
    if (x + w > width - pad && rows[rows.length - 1].length > 0) {
      rows.push([]);
      x = pad;
    }
    rows[rows.length - 1].push({ ...item, x });
    x += w;
  }
  canvas.width = width;
  canvas.height = band + line + drawing.height + pad + rows.length * line + band;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const markingAt = (y: number) => {
    ctx.fillStyle = '#000';
    ctx.font = `bold ${16 * u}px sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(o.marking, width / 2, y + band / 2);
    ctx.textAlign = 'left';
  };
  markingAt(0);
  ctx.font = `${13 * u}px sans-serif`;
  ctx.fillText(`${o.title} · exported ${new Date().toLocaleString('en-GB', { timeZoneName: 'short' })}`, pad, band + line / 2);
  const top = band + line;
  ctx.drawImage(drawing, (width - drawing.width) / 2, top);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(0.5, top + 0.5, width - 1, drawing.height);
  ctx.font = `${12 * u}px sans-serif`;
  rows.forEach((row, r) => {
    const y = top + drawing.height + pad + r * line + line / 2;
    for (const item of row) {
      let tx = item.x;
      if (item.shape) {
        drawShape(ctx, item.shape, item.x, y - 7 * u, u);
        tx += 18 * u;
      }
      ctx.fillStyle = '#000';
      ctx.fillText(item.l, tx, y);
    }
  });
  markingAt(canvas.height - band);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be made'))), 'image/png'));
}

const MEANINGS = ['colour: community', 'size: betweenness', 'red: shortest path', 'double blue border: pinned'];

function drawShape(ctx: CanvasRenderingContext2D, shape: string, x: number, y: number, u: number) {
  ctx.fillStyle = '#ddd';
  ctx.strokeStyle = '#333';
  ctx.lineWidth = u;
  ctx.beginPath();
  const outline = shapeOutline(shape);
  if (!outline) ctx.arc(x + 7 * u, y + 7 * u, 6 * u, 0, 2 * Math.PI);
  else outline.forEach(([px, py], i) => (i === 0 ? ctx.moveTo(x + px * u, y + py * u) : ctx.lineTo(x + px * u, y + py * u)));
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
}

function image(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the drawing could not be read'));
    img.src = src;
  });
}
