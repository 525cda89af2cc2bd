// The link chart's side panels: the selected node and what can be done to it (expand,
// collapse, pin, hide, path ends), the nodes on the chart, what was hidden, the shortest
// paths step by step, plain-English help on the measures, and the selected node's timeline.
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { Empty, ErrorState, Loading } from './States';
import { entityHref, formatDay, formatWhen } from '../lib/entity';
import { orderPath, type PathEdge } from '../lib/path';
import type { Node } from './NetworkCanvas';

const TimelineQuery = graphql(`
  query Timeline($key: String!) {
    timeline(key: $key, limit: 200) { at kind key caption detail }
  }
`);

export function SelectionPanel(props: {
  node: Node | null;
  ends: [string | null, string | null];
  pinned: boolean;
  onExpand: (k: string) => void;
  onCollapse: (k: string) => void;
  onPin: (k: string) => void;
  onHide: (k: string) => void;
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
              {props.pinned && <> · pinned</>}
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
            <button type="button" onClick={() => props.onCollapse(node.key)} title="Hide the neighbours linked to nothing else">
              Collapse
            </button>
            <button type="button" aria-pressed={props.pinned} onClick={() => props.onPin(node.key)} title="Keep it where it stands when the chart is laid out again">
              {props.pinned ? 'Unpin' : 'Pin'}
            </button>
            <button type="button" onClick={() => props.onHide(node.key)}>
              Hide
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

export function NodeList({ nodes, selected, onSelect }: { nodes: Map<string, Node>; selected: string | null; onSelect: (k: string) => void }) {
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

/** What the analyst hid, each with a way back. */
export function HiddenList({ hidden, nodes, onShow }: { hidden: Set<string>; nodes: Map<string, Node>; onShow: (keys: string[]) => void }) {
  if (hidden.size === 0) return null;
  const keys = [...hidden].sort();
  return (
    <section aria-label="Hidden">
      <h2>Hidden ({hidden.size})</h2>
      <ul className="nodelist">
        {keys.slice(0, 200).map((k) => (
          <li key={k}>
            <button type="button" onClick={() => onShow([k])} title={`Show ${k} again`} data-key={k}>
              <span dir="auto">{nodes.get(k)?.caption ?? k}</span> <span className="muted">show</span>
            </button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => onShow(keys)}>
        Show all hidden
      </button>
    </section>
  );
}

/** Each shortest path read out step by step: node, link (with its dates), node. */
export function PathSteps({ paths, nodes }: { paths: { from: string; edges: PathEdge[] }[]; nodes: Map<string, Node> }) {
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

/** The measures in words a supervisor can repeat. */
export function ChartHelp({ modularity }: { modularity: number | null }) {
  return (
    <details className="chart-help">
      <summary>What do size, colour and modularity mean?</summary>
      <dl>
        <dt>Degree</dt>
        <dd>How many others a node is linked to directly.</dd>
        <dt>Betweenness (node size)</dt>
        <dd>
          How often a node lies on the shortest route between two others. A large node is a go-between: people, phones or places that
          connect parts of the network that are otherwise apart. Taking it away splits the network most. Shown from 0 (never in between)
          to 1 (on every such route).
        </dd>
        <dt>Community (colour)</dt>
        <dd>
          A group of nodes more linked to each other than to the rest (found by the Louvain method over the people and things within two
          links of the centre). Same colour, same group. Grey until the analysis has run.
        </dd>
        <dt>Modularity{modularity !== null && ` (here ${modularity.toFixed(2)})`}</dt>
        <dd>
          How clearly the network splits into those groups, from 0 (no real groups) to 1. Above about 0.3 the groups are distinct: look at
          the few links between them.
        </dd>
        <dt>Time slider</dt>
        <dd>The network as it stood on a day: links first seen later are left out, and so are the nodes only they brought in.</dd>
        <dt>Pin, hide, collapse, undo</dt>
        <dd>
          A pinned node stays where it is when the chart is laid out again. Hide takes a node and its links off the chart (and out of the
          exports); collapse hides the neighbours linked to nothing else. Undo (or Ctrl+Z) steps back one change.
        </dd>
      </dl>
    </details>
  );
}

export function Timeline({ nodeKey }: { nodeKey: string }) {
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
