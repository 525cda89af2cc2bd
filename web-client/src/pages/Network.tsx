// The network explorer, a link chart an analyst builds: a cytoscape.js canvas of nodes
// and links. Expand and collapse nodes, pin, hide and undo; filter by relationship type
// and date, and step through time with a slider; find the shortest paths between two
// nodes; nodes are sized by betweenness and coloured by Louvain community; a timeline of
// the selected node; export exactly what is shown as PNG, GraphML and CSV. Every action
// also has a keyboard path through the side panel.
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { graphql } from '../gql';
import type { GraphEdge, GraphNode } from '../gql/graphql';
import { Empty, ErrorState, Loading } from '../components/States';
import { RELATIONSHIP_TYPES } from '../forces';
import { navigate } from '../router';
import { entityHref, formatDay, formatWhen } from '../lib/entity';
import { Canvas, Legend, edgeId, type Node } from '../components/NetworkCanvas';
import { ChartHelp, HiddenList, NodeList, PathSteps, SelectionPanel, Timeline } from '../components/NetworkPanels';
import { Exports } from '../components/NetworkExport';
import { ChartQuery, KeptCharts } from '../components/KeptCharts';
import { addDays, dateRange, daysBetween, History, leavesOf, shown, type Chart } from '../lib/chart';
import type { PathEdge } from '../lib/path';
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

const PeopleQuery = graphql(`
  query PeopleFind($name: String!) {
    people(name: $name, first: 10) {
      edges { node { score person { id name aliases force details { dateOfBirth registeredSexOffender operations } } } }
    }
  }
`);

type ChartState = Chart<Node, GraphEdge> & { pinned: Set<string> };
const emptyChart = (): ChartState => ({ nodes: new Map(), edges: new Map(), hidden: new Set(), pinned: new Set() });

export function NetworkPage({ params }: { params: URLSearchParams }) {
  const root = params.get('key') ?? '';
  const hops = Math.min(3, Math.max(1, Number(params.get('hops') ?? '1') || 1));
  const types = (params.get('types') ?? '').split(',').filter(Boolean);
  const since = params.get('since') ?? '';
  const chartId = params.get('chart') ?? '';
  const client = useClient();
  const [opened, setOpened] = useState<{ id: string; name: string; force: string; operation?: string | null } | null>(null);
  const [chart, setChart] = useState<ChartState>(emptyChart);
  const current = useRef(chart);
  const history = useRef(new History<ChartState>());
  const [undoable, setUndoable] = useState(0);
  const [upTo, setUpTo] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [ends, setEnds] = useState<[string | null, string | null]>([null, null]);
  const [path, setPath] = useState<Set<string>>(new Set());
  const [paths, setPaths] = useState<{ from: string; edges: PathEdge[] }[]>([]);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [modularity, setModularity] = useState<number | null>(null);
  // Moves on whenever the page starts again (new root, filters or chart): an answer to an
  // earlier start that comes late is dropped, not drawn over the new one.
  const generation = useRef(0);

  const vars = useMemo(() => ({ types, since: since ? new Date(`${since}T00:00:00Z`).toISOString() : null }), [params.toString()]);

  /** Changes the chart; `remember` keeps the state before for Undo. */
  const change = useCallback((next: (c: ChartState) => ChartState, remember = true) => {
    if (remember) {
      history.current.push(current.current);
      setUndoable(history.current.size);
    }
    current.current = next(current.current);
    setChart(current.current);
  }, []);

  const undo = useCallback(() => {
    const before = history.current.undo();
    setUndoable(history.current.size);
    if (!before) return;
    current.current = before;
    setChart(before);
    setNote('Undone.');
  }, []);

  const merge = useCallback(
    (g: { nodes: GraphNode[]; edges: GraphEdge[] }, remember = true) =>
      change((c) => {
        const nodes = new Map(c.nodes);
        const hidden = new Set(c.hidden);
        for (const n of g.nodes) {
          nodes.set(n.key, { ...nodes.get(n.key), ...n });
          hidden.delete(n.key);
        }
        const edges = new Map(c.edges);
        for (const e of g.edges) edges.set(edgeId(e), e);
        return { ...c, nodes, edges, hidden };
      }, remember),
    [change],
  );

  const expand = useCallback(
    async (key: string, h = 1, remember = true) => {
      setBusy(`Expanding ${key}…`);
      const started = generation.current;
      const r = await client.query(NeighbourhoodQuery, { key, hops: h, types: vars.types, since: vars.since }, { requestPolicy: 'network-only' }).toPromise();
      if (started !== generation.current) return;
      setBusy(null);
      if (r.error) return setError(r.error);
      if (!r.data?.neighbourhood) return setNote(`${key} is not in the graph (or not in your forces).`);
      setError(null);
      merge(r.data.neighbourhood, remember);
      setNote(`${key}: ${r.data.neighbourhood.nodes.length} nodes and ${r.data.neighbourhood.edges.length} links within ${h} ${h === 1 ? 'hop' : 'hops'}.`);
    },
    [client, merge, vars],
  );

  const metrics = useCallback(async () => {
    if (!root) return;
    const started = generation.current;
    const r = await client
      .query(MetricsQuery, { selection: { around: root, hops: 2, relationshipTypes: vars.types } }, { requestPolicy: 'network-only' })
      .toPromise();
    if (r.error || !r.data || started !== generation.current) return;
    const centrality = new Map(r.data.centrality.nodes.map((n) => [n.key, n]));
    const community = new Map<string, number>();
    for (const c of r.data.communities.communities) for (const m of c.members) community.set(m, c.id);
    setModularity(r.data.communities.modularity);
    const annotate = (c: ChartState): ChartState => {
      const nodes = new Map(c.nodes);
      for (const [k, n] of nodes) {
        const m = centrality.get(k);
        nodes.set(k, { ...n, degree: m?.degree, betweenness: m?.betweennessNormalized, community: community.get(k) });
      }
      return { ...c, nodes };
    };
    change(annotate, false);
  }, [client, root, vars, change]);

  /** A kept chart, read again under this analyst's scope, as the chart to work on. */
  const openChart = useCallback(
    async (id: string) => {
      setBusy('Opening the chart…');
      const started = generation.current;
      const r = await client.query(ChartQuery, { id }, { requestPolicy: 'network-only' }).toPromise();
      if (started !== generation.current) return;
      setBusy(null);
      if (r.error) return setError(r.error);
      const kept = r.data?.chart;
      if (!kept) return setNote('No such chart is kept by your team.');
      setError(null);
      change(
        () => ({
          nodes: new Map(kept.graph.nodes.map((n) => [n.key, n])),
          edges: new Map(kept.graph.edges.map((e) => [edgeId(e), e])),
          hidden: new Set(kept.hidden),
          pinned: new Set(kept.pinned),
        }),
        false,
      );
      setUpTo(kept.upTo ?? null);
      setOpened({ id: kept.id, name: kept.name, force: kept.force, operation: kept.operation });
      setNote(`Opened “${kept.name}”: ${kept.graph.nodes.length} nodes and ${kept.graph.edges.length} links (last changed by ${kept.updatedBy}).`);
    },
    [client, change],
  );

  // A new root or new filters: start again, before the page is painted (an effect would
  // leave one frame showing the last chart under the new address and counts).
  useLayoutEffect(() => {
    generation.current += 1;
    history.current.clear();
    setUndoable(0);
    setNote(null);
    setBusy(null);
    current.current = emptyChart();
    setChart(current.current);
    setUpTo(null);
    setPath(new Set());
    setPaths([]);
    setEnds([null, null]);
    setSelected(root || null);
    setModularity(null);
    setOpened(null);
    if (chartId) void openChart(chartId).then(metrics);
    else if (root) void expand(root, hops, false).then(metrics);
  }, [root, hops, params.toString()]);

  const keep = useMemo(() => new Set([root, ...chart.pinned, ...ends.filter((k): k is string => !!k)]), [root, chart.pinned, ends]);
  const view = useMemo(() => shown(chart, { upTo, keep }), [chart, upTo, keep]);
  const range = useMemo(() => dateRange(chart.edges.values()), [chart.edges]);

  const hide = (keys: string[]) => {
    if (keys.length === 0) return setNote('Nothing to hide.');
    change((c) => ({ ...c, hidden: new Set([...c.hidden, ...keys]) }));
    if (selected && keys.includes(selected)) setSelected(null);
    setNote(`Hid ${keys.length === 1 ? keys[0] : `${keys.length} nodes`}.`);
  };
  const unhide = (keys: string[]) =>
    change((c) => {
      const hidden = new Set(c.hidden);
      for (const k of keys) hidden.delete(k);
      return { ...c, hidden };
    });
  const togglePin = (key: string) =>
    change((c) => {
      const pinned = new Set(c.pinned);
      if (!pinned.delete(key)) pinned.add(key);
      return { ...c, pinned };
    });

  const findPath = async () => {
    const [a, b] = ends;
    if (!a || !b) return;
    setBusy('Finding shortest paths…');
    const r = await client.query(PathQuery, { from: a, to: b, types: vars.types }, { requestPolicy: 'network-only' }).toPromise();
    setBusy(null);
    if (r.error) return setError(r.error);
    const found = r.data?.shortestPaths ?? [];
    setPaths(found.map((p) => ({ from: a, edges: p.edges })));
    if (found.length === 0) {
      setPath(new Set());
      return setNote(`No path of at most 6 links between ${a} and ${b}.`);
    }
    const keys = new Set<string>();
    merge({ nodes: found.flatMap((p) => p.nodes), edges: found.flatMap((p) => p.edges) });
    for (const p of found) {
      for (const n of p.nodes) keys.add(n.key);
      for (const e of p.edges) keys.add(edgeId(e));
    }
    setPath(keys);
    setNote(`${found.length} shortest ${found.length === 1 ? 'path' : 'paths'} of ${found[0].edges.length} ${found[0].edges.length === 1 ? 'link' : 'links'} between ${a} and ${b}.`);
  };

  const go = (changes: Record<string, string>) => navigate('/network', { key: root, hops, types: types.join(','), since, ...changes });
  const onKey = (e: React.KeyboardEvent) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z' && !typing) {
      e.preventDefault();
      undo();
    }
  };

  return (
    <section aria-labelledby="net-h" className="network" onKeyDown={onKey}>
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
        {busy ?? note ?? ''}{' '}
        {(root || chartId) && (
          <span className="counts">
            {view.nodes.size} nodes, {view.edges.size} links{modularity !== null && ` · modularity ${modularity.toFixed(3)}`}
            {chart.hidden.size > 0 && ` · ${chart.hidden.size} hidden`}
          </span>
        )}
      </p>
      {!root && !chartId ? (
        <Empty>Find a person by name above, or open a node from a document, a profile or a hot-spot.</Empty>
      ) : (
        <div className="net-layout">
          <div>
            <div className="chart-tools">
              <button type="button" onClick={undo} disabled={undoable === 0} title="Ctrl+Z">
                Undo{undoable > 0 && ` (${undoable})`}
              </button>
              {range && <TimeSlider range={range} upTo={upTo} onChange={setUpTo} />}
            </div>
            <Canvas
              nodes={view.nodes}
              edges={view.edges}
              path={path}
              selected={selected}
              ends={ends}
              pinned={chart.pinned}
              onSelect={setSelected}
              onExpand={(k) => void expand(k)}
            />
            <Legend labels={[...new Set([...view.nodes.values()].map((n) => n.label))].sort()} />
            <ChartHelp modularity={modularity} />
            {paths.length > 0 && <PathSteps paths={paths} nodes={chart.nodes} />}
          </div>
          <aside className="net-side" aria-label="Selection">
            <SelectionPanel
              node={selected ? view.nodes.get(selected) ?? null : null}
              ends={ends}
              pinned={!!selected && chart.pinned.has(selected)}
              onExpand={(k) => void expand(k)}
              onCollapse={(k) => hide(leavesOf(k, view.edges, keep))}
              onPin={togglePin}
              onHide={(k) => hide([k])}
              onEnd={(i, k) => setEnds((old) => (i === 0 ? [k, old[1]] : [old[0], k]))}
              onPath={() => void findPath()}
              onRoot={(k) => go({ key: k })}
            />
            <Exports nodes={view.nodes} edges={view.edges} title={`toex network around ${root}${upTo ? ` as on ${formatDay(upTo)}` : ''}`} />
            <NodeList nodes={view.nodes} selected={selected} onSelect={setSelected} />
            <HiddenList hidden={chart.hidden} nodes={chart.nodes} onShow={unhide} />
            <KeptCharts
              key={opened?.id ?? 'new'}
              opened={opened}
              content={{ root: root || null, keys: [...chart.nodes.keys()], links: [...chart.edges.values()].map((e) => ({ from: e.from, to: e.to, type: e.type })), hidden: [...chart.hidden], pinned: [...chart.pinned], types, upTo }}
              onSaved={(id, r) => id !== chartId && navigate('/network', { key: r ?? root, hops, types: types.join(','), since, chart: id })}
            />
          </aside>
        </div>
      )}
      {selected && <Timeline nodeKey={selected} />}
    </section>
  );
}

/** The network as it stood on a day, between the first and last day a link was seen. */
function TimeSlider({ range, upTo, onChange }: { range: [string, string]; upTo: string | null; onChange: (day: string | null) => void }) {
  const span = Math.max(0, daysBetween(range[0], range[1]));
  const at = upTo ? Math.min(span, Math.max(0, daysBetween(range[0], upTo))) : span;
  return (
    <label className="time-slider">
      Links first seen by <strong>{upTo ? formatDay(upTo) : 'any date'}</strong>
      <input
        type="range"
        min={0}
        max={span}
        value={at}
        aria-valuetext={upTo ? formatDay(upTo) : 'any date'}
        onChange={(e) => {
          const n = Number(e.target.value);
          onChange(n >= span ? null : addDays(range[0], n));
        }}
      />
      <span className="muted">
        {formatDay(range[0])} – {formatDay(range[1])}
      </span>
    </label>
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

