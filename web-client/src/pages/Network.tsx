// The network explorer: a cytoscape.js canvas of nodes and links. Expand a node,
// filter by relationship type and date, find the shortest paths between two nodes;
// nodes are sized by betweenness and coloured by Louvain community; a timeline of the
// selected node; export as PNG, GraphML and CSV. Every action also has a keyboard path
// through the side panel.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { graphql } from '../gql';
import type { GraphEdge, GraphNode } from '../gql/graphql';
import { Empty, ErrorState, Loading } from '../components/States';
import { RELATIONSHIP_TYPES } from '../forces';
import { navigate } from '../router';
import { entityHref, formatDay, formatWhen } from '../lib/entity';
import { download, toCsv } from '../lib/csv';
import { toGraphML } from '../lib/graphml';
import type { Core } from 'cytoscape';
import { Canvas, Legend, edgeId, type Node } from '../components/NetworkCanvas';
import { orderPath, type PathEdge } from '../lib/path';
import type { CombinedError } from 'urql';

const NeighbourhoodQuery = graphql(`
  query Neighbourhood($key: String!, $hops: Int!, $types: [String!]!, $since: String) {
    neighbourhood(key: $key, hops: $hops, relationshipTypes: $types, since: $since, limit: 150) {
      nodes { key label caption force protected }
      edges { from to type role weight count firstSeen lastSeen source }
    }
  }
`);

const PathQuery = graphql(`
  query ShortestPaths($from: String!, $to: String!, $types: [String!]!) {
    shortestPaths(from: $from, to: $to, maxHops: 6, relationshipTypes: $types, limit: 5) {
      nodes { key label caption force protected }
      edges { from to type role weight count firstSeen lastSeen source }
    }
  }
`);

const MetricsQuery = graphql(`
  query NetworkMetrics($selection: Selection!) {
    centrality(selection: $selection) {
      nodes { key degree betweenness betweennessNormalized }
    }
    communities(selection: $selection) {
      modularity
      communities { id size members }
    }
  }
`);

const TimelineQuery = graphql(`
  query Timeline($key: String!) {
    timeline(key: $key, limit: 200) { at kind key caption detail }
  }
`);

const PeopleQuery = graphql(`
  query PeopleFind($name: String!) {
    people(name: $name, first: 10) {
      edges { node { score person { id name aliases force details { dateOfBirth registeredSexOffender operations } } } }
    }
  }
`);

export function NetworkPage({ params }: { params: URLSearchParams }) {
  const root = params.get('key') ?? '';
  const hops = Math.min(3, Math.max(1, Number(params.get('hops') ?? '1') || 1));
  const types = (params.get('types') ?? '').split(',').filter(Boolean);
  const since = params.get('since') ?? '';
  const client = useClient();
  const [nodes, setNodes] = useState(new Map<string, Node>());
  const [edges, setEdges] = useState(new Map<string, GraphEdge>());
  const [selected, setSelected] = useState<string | null>(null);
  const [ends, setEnds] = useState<[string | null, string | null]>([null, null]);
  const [path, setPath] = useState<Set<string>>(new Set());
  const [paths, setPaths] = useState<{ from: string; edges: PathEdge[] }[]>([]);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [modularity, setModularity] = useState<number | null>(null);

  const vars = useMemo(() => ({ types, since: since ? new Date(`${since}T00:00:00Z`).toISOString() : null }), [params.toString()]);

  const merge = useCallback((g: { nodes: GraphNode[]; edges: GraphEdge[] }) => {
    setNodes((old) => {
      const next = new Map(old);
      for (const n of g.nodes) next.set(n.key, { ...next.get(n.key), ...n });
      return next;
    });
    setEdges((old) => {
      const next = new Map(old);
      for (const e of g.edges) next.set(edgeId(e), e);
      return next;
    });
  }, []);

  const expand = useCallback(
    async (key: string, h = 1) => {
      setBusy(`Expanding ${key}…`);
      const r = await client.query(NeighbourhoodQuery, { key, hops: h, types: vars.types, since: vars.since }, { requestPolicy: 'network-only' }).toPromise();
      setBusy(null);
      if (r.error) return setError(r.error);
      if (!r.data?.neighbourhood) return setNote(`${key} is not in the graph (or not in your forces).`);
      setError(null);
      merge(r.data.neighbourhood);
      setNote(`${key}: ${r.data.neighbourhood.nodes.length} nodes and ${r.data.neighbourhood.edges.length} links within ${h} ${h === 1 ? 'hop' : 'hops'}.`);
    },
    [client, merge, vars],
  );

  const metrics = useCallback(async () => {
    if (!root) return;
    const r = await client
      .query(MetricsQuery, { selection: { around: root, hops: 2, relationshipTypes: vars.types } }, { requestPolicy: 'network-only' })
      .toPromise();
    if (r.error || !r.data) return;
    const centrality = new Map(r.data.centrality.nodes.map((n) => [n.key, n]));
    const community = new Map<string, number>();
    for (const c of r.data.communities.communities) for (const m of c.members) community.set(m, c.id);
    setModularity(r.data.communities.modularity);
    setNodes((old) => {
      const next = new Map(old);
      for (const [k, n] of next) {
        const c = centrality.get(k);
        next.set(k, { ...n, degree: c?.degree, betweenness: c?.betweennessNormalized, community: community.get(k) });
      }
      return next;
    });
  }, [client, root, vars]);

  // A new root or new filters: start again.
  useEffect(() => {
    setNodes(new Map());
    setEdges(new Map());
    setPath(new Set());
    setPaths([]);
    setEnds([null, null]);
    setSelected(root || null);
    setModularity(null);
    if (root) void expand(root, hops).then(metrics);
  }, [root, hops, params.toString()]);

  const findPath = async () => {
    const [a, b] = ends;
    if (!a || !b) return;
    setBusy('Finding shortest paths…');
    const r = await client.query(PathQuery, { from: a, to: b, types: vars.types }, { requestPolicy: 'network-only' }).toPromise();
    setBusy(null);
    if (r.error) return setError(r.error);
    const paths = r.data?.shortestPaths ?? [];
    setPaths(paths.map((p) => ({ from: a, edges: p.edges })));
    if (paths.length === 0) {
      setPath(new Set());
      return setNote(`No path of at most 6 links between ${a} and ${b}.`);
    }
    const keys = new Set<string>();
    for (const p of paths) {
      merge(p);
      for (const n of p.nodes) keys.add(n.key);
      for (const e of p.edges) keys.add(edgeId(e));
    }
    setPath(keys);
    setNote(`${paths.length} shortest ${paths.length === 1 ? 'path' : 'paths'} of ${paths[0].edges.length} ${paths[0].edges.length === 1 ? 'link' : 'links'} between ${a} and ${b}.`);
  };

  const go = (changes: Record<string, string>) => navigate('/network', { key: root, hops, types: types.join(','), since, ...changes });

  return (
    <section aria-labelledby="net-h" className="network">
      <h1 id="net-h">Network</h1>
      <FindNode onOpen={(key) => go({ key })} />
      <div className="controls">
        <label>
          Hops
          <select value={hops} onChange={(e) => go({ hops: e.target.value })}>
            {[1, 2, 3].map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </label>
        <label>
          Links seen since
          <input type="date" value={since} onChange={(e) => go({ since: e.target.value })} />
        </label>
        <fieldset className="types">
          <legend>Relationship types (none ticked: all)</legend>
          {RELATIONSHIP_TYPES.map((t) => (
            <label key={t}>
              <input
                type="checkbox"
                checked={types.includes(t)}
                onChange={() => go({ types: (types.includes(t) ? types.filter((x) => x !== t) : [...types, t]).join(',') })}
              />
              {t}
            </label>
          ))}
        </fieldset>
      </div>
      {error && <ErrorState error={error} />}
      <p role="status" className="status">
        {busy ?? note ?? ''} {root && <span className="counts">{nodes.size} nodes, {edges.size} links{modularity !== null && ` · modularity ${modularity.toFixed(3)}`}</span>}
      </p>
      {!root ? (
        <Empty>Find a person by name above, or open a node from a document, a profile or a hot-spot.</Empty>
      ) : (
        <div className="net-layout">
          <div>
            <Canvas nodes={nodes} edges={edges} path={path} selected={selected} ends={ends} onSelect={setSelected} onExpand={(k) => void expand(k)} />
            <Legend labels={[...new Set([...nodes.values()].map((n) => n.label))].sort()} />
            {paths.length > 0 && <PathSteps paths={paths} nodes={nodes} />}
          </div>
          <aside className="net-side" aria-label="Selection">
            <SelectionPanel
              node={selected ? nodes.get(selected) ?? null : null}
              ends={ends}
              onExpand={(k) => void expand(k)}
              onEnd={(i, k) => setEnds((old) => (i === 0 ? [k, old[1]] : [old[0], k]))}
              onPath={() => void findPath()}
              onRoot={(k) => go({ key: k })}
            />
            <Exports nodes={nodes} edges={edges} />
            <NodeList nodes={nodes} selected={selected} onSelect={setSelected} />
          </aside>
        </div>
      )}
      {selected && <Timeline nodeKey={selected} />}
    </section>
  );
}

function FindNode({ onOpen }: { onOpen: (key: string) => void }) {
  const [text, setText] = useState('');
  const [name, setName] = useState('');
  const [{ data, error, fetching }] = useQuery({ query: PeopleQuery, variables: { name }, pause: !name });
  return (
    <div className="find">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const t = text.trim();
          if (/^[A-Za-z]+:.+/.test(t)) onOpen(t);
          else setName(t);
        }}
      >
        <label className="grow">
          Person name (any spelling or script) or node key (<code>Phone:+447700900123</code>)
          <input type="search" dir="auto" value={text} onChange={(e) => setText(e.target.value)} name="find" />
        </label>
        <button type="submit">Find</button>
      </form>
      {error && <ErrorState error={error} />}
      {fetching && <Loading what="people" />}
      {data && name && (
        <ul className="people" aria-label="People found">
          {data.people.edges.length === 0 && <li className="muted">Nobody of that name in your forces.</li>}
          {data.people.edges.map(({ node }) => (
            <li key={node.person.id}>
              <button type="button" onClick={() => { setName(''); onOpen(`Person:${node.person.id}`); }}>
                <span dir="auto">{node.person.name}</span>
              </button>{' '}
              <span className="muted">
                {/* Enough to tell namesakes apart: id, force, date of birth, cases. */}
                <code>{node.person.id}</code> · {node.person.force}
                {node.person.details?.dateOfBirth && <> · born {formatWhen(node.person.details.dateOfBirth)}</>}
                {node.person.details?.registeredSexOffender && <> · RSO</>}
                {node.person.details && node.person.details.operations.length > 0 && <> · {node.person.details.operations.join(', ')}</>}
                {node.person.aliases.length > 0 && <> · also {node.person.aliases.join(', ')}</>}
              </span>{' '}
              <a href={entityHref(`Person:${node.person.id}`)}>page</a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function SelectionPanel(props: {
  node: Node | null;
  ends: [string | null, string | null];
  onExpand: (k: string) => void;
  onEnd: (i: 0 | 1, k: string | null) => void;
  onPath: () => void;
  onRoot: (k: string) => void;
}) {
  const { node, ends } = props;
  return (
    <section aria-label="Selected node">
      <h2>Selected</h2>
      {node ? (
        <>
          <p>
            <strong dir="auto">{node.caption ?? node.key}</strong>
            <br />
            <span className="muted">
              {node.label} · {node.key}
              {node.force && <> · {node.force}</>}
              {node.protected && <> · protected</>}
            </span>
            {node.degree !== undefined && (
              <>
                <br />
                degree {node.degree} · betweenness {(node.betweenness ?? 0).toFixed(3)}
                {node.community !== undefined && <> · community {node.community}</>}
              </>
            )}
          </p>
          <div className="buttons">
            <button type="button" onClick={() => props.onExpand(node.key)}>
              Expand
            </button>
            <button type="button" onClick={() => props.onEnd(0, node.key)}>
              Path from here
            </button>
            <button type="button" onClick={() => props.onEnd(1, node.key)}>
              Path to here
            </button>
            <button type="button" onClick={() => props.onRoot(node.key)}>
              Centre here
            </button>
            <a className="button" href={entityHref(node.key)}>
              Open its page
            </a>
          </div>
        </>
      ) : (
        <p className="muted">Click a node, or pick one in the list below.</p>
      )}
      <p>
        Path: <code>{ends[0] ?? '—'}</code> → <code>{ends[1] ?? '—'}</code>
      </p>
      <button type="button" disabled={!ends[0] || !ends[1] || ends[0] === ends[1]} onClick={props.onPath}>
        Find shortest path
      </button>
    </section>
  );
}

function NodeList({ nodes, selected, onSelect }: { nodes: Map<string, Node>; selected: string | null; onSelect: (k: string) => void }) {
  const sorted = [...nodes.values()].sort((a, b) => (b.betweenness ?? 0) - (a.betweenness ?? 0) || a.key.localeCompare(b.key));
  return (
    <section aria-label="Nodes">
      <h2>Nodes ({nodes.size})</h2>
      <ul className="nodelist">
        {sorted.slice(0, 200).map((n) => (
          <li key={n.key}>
            <button type="button" aria-pressed={selected === n.key} onClick={() => onSelect(n.key)} data-key={n.key} data-label={n.label} title={n.key}>
              <span dir="auto">{n.caption ?? n.key}</span> <span className="muted">{n.label}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Each shortest path read out step by step: node, link (with its dates), node. */
function PathSteps({ paths, nodes }: { paths: { from: string; edges: PathEdge[] }[]; nodes: Map<string, Node> }) {
  const name = (k: string) => nodes.get(k)?.caption ?? k;
  return (
    <section aria-label="Shortest paths" className="paths">
      <h2>Shortest {paths.length === 1 ? 'path' : 'paths'}, step by step</h2>
      {paths.map((p, i) => {
        const steps = orderPath(p.from, p.edges);
        return (
          <ol key={i} className="path-steps">
            {steps?.map((s) => (
              <li key={s.key}>
                <a href={entityHref(s.key)} dir="auto">
                  {name(s.key)}
                </a>
                {s.link && (
                  <span className="muted">
                    {' '}
                    {s.link.forward ? '—' : '←'} {s.link.type.toLowerCase().replace(/_/g, ' ')}
                    {s.link.role && ` (${s.link.role})`}
                    {(s.link.firstSeen || s.link.lastSeen) && `, ${formatDay(s.link.firstSeen)} to ${formatDay(s.link.lastSeen)}`} {s.link.forward ? '→' : '—'}
                  </span>
                )}
              </li>
            ))}
          </ol>
        );
      })}
    </section>
  );
}

function Exports({ nodes, edges }: { nodes: Map<string, Node>; edges: Map<string, GraphEdge> }) {
  const ns = [...nodes.values()];
  const es = [...edges.values()];
  const png = () => {
    const cy = (window as unknown as { toexCy?: Core }).toexCy;
    if (!cy) return;
    const blob = cy.png({ output: 'blob', full: true, bg: '#ffffff', scale: 2 }) as unknown as Blob;
    download('toex-network.png', blob);
  };
  return (
    <section aria-label="Export">
      <h2>Export</h2>
      <div className="buttons">
        <button type="button" onClick={png} disabled={ns.length === 0}>
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

function Timeline({ nodeKey }: { nodeKey: string }) {
  const [{ data, error }] = useQuery({ query: TimelineQuery, variables: { key: nodeKey } });
  return (
    <section aria-labelledby="tl-h" className="timeline">
      <h2 id="tl-h">Timeline of {nodeKey}</h2>
      {error && <ErrorState error={error} />}
      {!data && !error && <Loading what="the timeline" />}
      {data && data.timeline.length === 0 && <Empty>No dated events.</Empty>}
      {data && data.timeline.length > 0 && (
        <ol>
          {data.timeline.map((t, i) => (
            <li key={`${t.key}-${i}`}>
              <time dateTime={t.at}>{formatWhen(t.at)}</time> <strong>{t.kind}</strong> <span dir="auto">{t.caption}</span>{' '}
              <span className="muted">{t.detail}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
