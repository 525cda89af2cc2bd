// GraphML export of a drawn network (readable by Gephi, yEd, i2 importers, NetworkX).

export interface ExportNode {
  key: string;
  label: string;
  caption?: string | null;
  force?: string | null;
  degree?: number | null;
  betweenness?: number | null;
  community?: number | null;
}
export interface ExportEdge {
  from: string;
  to: string;
  type: string;
  role?: string | null;
  weight?: number | null;
  count?: number | null;
  firstSeen?: string | null;
  lastSeen?: string | null;
  source?: string | null;
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const NODE_KEYS: [keyof ExportNode, string][] = [
  ['label', 'string'], ['caption', 'string'], ['force', 'string'],
  ['degree', 'int'], ['betweenness', 'double'], ['community', 'int'],
];
const EDGE_KEYS: [keyof ExportEdge, string][] = [
  ['type', 'string'], ['role', 'string'], ['weight', 'double'], ['count', 'int'],
  ['firstSeen', 'string'], ['lastSeen', 'string'], ['source', 'string'],
];

/** A GraphML document (directed edges, as recorded) with typed attributes. */
export function toGraphML(nodes: ExportNode[], edges: ExportEdge[]): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
  ];
  for (const [k, t] of NODE_KEYS) out.push(`  <key id="n_${k}" for="node" attr.name="${k}" attr.type="${t}"/>`);
  for (const [k, t] of EDGE_KEYS) out.push(`  <key id="e_${k}" for="edge" attr.name="${k}" attr.type="${t}"/>`);
  out.push('  <graph id="toex" edgedefault="directed">');
  for (const n of nodes) {
    out.push(`    <node id="${xml(n.key)}">`);
    for (const [k] of NODE_KEYS) {
      const v = n[k];
      if (v !== null && v !== undefined) out.push(`      <data key="n_${k}">${xml(String(v))}</data>`);
    }
    out.push('    </node>');
  }
  edges.forEach((e, i) => {
    out.push(`    <edge id="e${i}" source="${xml(e.from)}" target="${xml(e.to)}">`);
    for (const [k] of EDGE_KEYS) {
      const v = e[k];
      if (v !== null && v !== undefined) out.push(`      <data key="e_${k}">${xml(String(v))}</data>`);
    }
    out.push('    </edge>');
  });
  out.push('  </graph>', '</graphml>');
  return out.join('\n') + '\n';
}
