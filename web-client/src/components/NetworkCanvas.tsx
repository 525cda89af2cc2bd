// The network drawing (cytoscape.js): shapes by kind, colours by community, size by
// betweenness, labels kept readable at every zoom, pinned nodes held where they stand, and
// its legend. It draws exactly the nodes and links it is given: what a filter, a hide or
// the time slider drops leaves the canvas and its exports.
import { useEffect, useRef } from 'react';
import cytoscape, { type Core } from 'cytoscape';
import type { GraphEdge, GraphNode } from '../gql/graphql';

export type Node = GraphNode & { degree?: number; betweenness?: number; community?: number };
export const edgeId = (e: GraphEdge) => `${e.from}|${e.type}|${e.to}|${e.role ?? ''}`;
export const PALETTE = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#1f78b4', '#b15928', '#6a3d9a', '#33a02c', '#fb9a99'];
export const LABEL_SHAPE: Record<string, string> = {
  Person: 'ellipse', Phone: 'round-rectangle', Email: 'round-rectangle', Vehicle: 'round-rectangle',
  Location: 'diamond', OnlineAccount: 'round-rectangle', Incident: 'triangle', MissingEpisode: 'star',
  Document: 'rectangle', Operation: 'hexagon', Force: 'octagon',
};

export function Canvas(props: {
  nodes: Map<string, Node>;
  edges: Map<string, GraphEdge>;
  path: Set<string>;
  selected: string | null;
  ends: [string | null, string | null];
  pinned: Set<string>;
  onSelect: (k: string) => void;
  onExpand: (k: string) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const handlers = useRef(props);
  handlers.current = props;

  useEffect(() => {
    const c = cytoscape({
      container: box.current,
      wheelSensitivity: 0.3,
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'font-size': 9,
            'text-valign': 'bottom',
            'text-margin-y': 3,
            width: 'data(size)',
            height: 'data(size)',
            'background-color': 'data(color)',
            shape: 'data(shape)' as never,
            'border-width': 1,
            'border-color': '#333',
          },
        },
        { selector: 'node.pinned', style: { 'border-style': 'double', 'border-width': 5, 'border-color': '#1f4e99' } },
        { selector: 'node.path', style: { 'border-width': 3, 'border-color': '#c00' } },
        { selector: 'node.selected', style: { 'border-width': 4, 'border-color': '#000' } },
        { selector: 'node.end', style: { 'border-width': 4, 'border-color': '#c00' } },
        // On links only: a node of the path keeps its size and gets a red ring.
        { selector: 'edge.path', style: { 'line-color': '#c00', 'target-arrow-color': '#c00', width: 4, 'z-index': 10 } },
        {
          selector: 'edge',
          style: {
            width: 'data(width)',
            'line-color': '#999',
            'target-arrow-shape': 'triangle',
            'target-arrow-color': '#999',
            'arrow-scale': 0.6,
            'curve-style': 'bezier',
            label: 'data(type)',
            'font-size': 7,
            color: '#555',
            'text-rotation': 'autorotate',
          },
        },
      ],
    });
    c.on('zoom', () => readable(c));
    c.on('tap', 'node', (e) => handlers.current.onSelect(e.target.id()));
    c.on('dbltap', 'node', (e) => handlers.current.onExpand(e.target.id()));
    cy.current = c;
    (window as unknown as { toexCy?: Core }).toexCy = c;
    return () => c.destroy();
  }, []);

  useEffect(() => {
    const c = cy.current;
    if (!c) return;
    const maxB = [...props.nodes.values()].reduce((m, n) => Math.max(m, n.betweenness ?? 0), 1e-9);
    let added = false;
    let fresh = 0;
    c.batch(() => {
      // The drawing is exactly the current result: what a filter or a new root dropped goes.
      c.edges().forEach((e) => {
        if (!props.edges.has(e.id())) {
          e.remove();
          added = true;
        }
      });
      c.nodes().forEach((n) => {
        if (!props.nodes.has(n.id())) {
          n.remove();
          added = true;
        }
      });
      for (const [key, n] of props.nodes) {
        const data = {
          id: key,
          label: n.caption ?? key,
          size: 18 + 42 * Math.sqrt((n.betweenness ?? 0) / maxB),
          color: n.community === undefined || n.community === null ? '#bbb' : PALETTE[n.community % PALETTE.length],
          shape: LABEL_SHAPE[n.label] ?? 'ellipse',
        };
        const el = c.getElementById(key);
        if (el.empty()) {
          c.add({ group: 'nodes', data });
          added = true;
          fresh += 1;
        } else el.data(data);
      }
      for (const [id, e] of props.edges) {
        if (!c.getElementById(id).empty()) continue;
        if (c.getElementById(e.from).empty() || c.getElementById(e.to).empty()) continue;
        c.add({ group: 'edges', data: { id, source: e.from, target: e.to, type: e.type, width: 1 + Math.min(5, Math.log1p(e.count ?? e.weight ?? 1)) } });
        added = true;
      }
      c.elements().removeClass('path selected end pinned');
      // A pinned node stays where it stands when the layout runs again.
      c.nodes().forEach((n) => {
        if (props.pinned.has(n.id())) n.addClass('pinned').lock();
        else n.unlock();
      });
      for (const k of props.path) c.getElementById(k).addClass('path');
      if (props.selected) c.getElementById(props.selected).addClass('selected');
      for (const k of props.ends) if (k) c.getElementById(k).addClass('end');
    });
    if (added && c.nodes().length > 0) {
      const afresh = fresh > c.nodes().length / 2;
      // Labels are sized for the last zoom; a layout from scratch measures them at zoom 1,
      // or a chart opened after a zoomed-out one is laid out as a thin strip.
      if (afresh) {
        c.zoom(1);
        readable(c);
      }
      // Spread out (stronger repulsion, longer ideal links) so the drawing fills the canvas.
      c.layout({
        name: 'cose',
        animate: false,
        // Mostly new nodes (a chart opened, a new root): lay out afresh, not from where
        // the few old ones stood.
        randomize: afresh,
        fit: true,
        padding: 24,
        nodeDimensionsIncludeLabels: true,
        nodeRepulsion: () => 12_000,
        idealEdgeLength: () => 90,
        gravity: 0.2,
        numIter: 1500,
      } as never).run();
      readable(c);
    }
  }, [props.nodes, props.edges, props.path, props.selected, props.ends, props.pinned]);

  return <div ref={box} className="canvas" aria-label="Network drawing: click a node to select it, double-click to expand it" role="img" />;
}

/** Labels and link types about 11 px and 9 px on screen whatever the zoom. */
function readable(c: Core) {
  const z = c.zoom() || 1;
  c.style().selector('node').style('font-size', 11 / z).selector('edge').style('font-size', 9 / z).update();
}

/** What the shapes and colours mean. */
export function Legend({ labels }: { labels: string[] }) {
  return (
    <ul className="legend net-legend" aria-label="Legend">
      {labels.map((l) => (
        <li key={l}>
          <svg width="14" height="14" aria-hidden="true">
            <Shape shape={LABEL_SHAPE[l] ?? 'ellipse'} />
          </svg>{' '}
          {l}
        </li>
      ))}
      <li>colour: community (grey before the analysis)</li>
      <li>size: betweenness</li>
      <li>
        <span className="swatch" style={{ background: '#c00' }} /> shortest path
      </li>
      <li>
        <span className="swatch" style={{ background: '#fff', border: '3px double #1f4e99' }} /> pinned
      </li>
    </ul>
  );
}

/** A legend shape's outline in a 14 px box: a polygon's corners; null for a circle. */
export function shapeOutline(shape: string): [number, number][] | null {
  switch (shape) {
    case 'ellipse':
      return null;
    case 'diamond':
      return [[7, 1], [13, 7], [7, 13], [1, 7]];
    case 'triangle':
      return [[7, 1], [13, 13], [1, 13]];
    case 'star':
      return [[7, 1], [8.8, 5.2], [13, 5.5], [9.8, 8.5], [10.7, 13], [7, 10.6], [3.3, 13], [4.2, 8.5], [1, 5.5], [5.2, 5.2]];
    case 'hexagon':
      return [[4, 1], [10, 1], [13, 7], [10, 13], [4, 13], [1, 7]];
    case 'octagon':
      return [[4, 1], [10, 1], [13, 4], [13, 10], [10, 13], [4, 13], [1, 10], [1, 4]];
    default:
      return [[1, 3], [13, 3], [13, 11], [1, 11]];
  }
}

function Shape({ shape }: { shape: string }) {
  const style = { fill: '#ddd', stroke: '#333' };
  if (shape === 'round-rectangle') return <rect x="1" y="3" width="12" height="8" rx="3" style={style} />;
  const outline = shapeOutline(shape);
  if (!outline) return <circle cx="7" cy="7" r="6" style={style} />;
  return <polygon points={outline.map(([x, y]) => `${x},${y}`).join(' ')} style={style} />;
}
