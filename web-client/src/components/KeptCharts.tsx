// Link charts kept with a case: save what is on the chart (for a force's team, within an
// operation when the case is one), save again to add to it, and open any chart the team
// keeps. A chart reopened shows only what the reader may see.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { ForceSelect } from '../forces';
import { formatWhen } from '../lib/entity';
import { href } from '../router';
import { ErrorState } from './States';

export const ChartQuery = graphql(`
  query KeptChart($id: String!) {
    chart(id: $id) {
      id name force operation root hidden pinned upTo relationshipTypes updatedBy updatedAt
      graph {
        nodes { key label caption force protected }
        edges { from to type role weight count firstSeen lastSeen source }
      }
    }
  }
`);

const ChartsQuery = graphql(`
  query KeptCharts {
    charts(first: 50) { id name force operation root updatedBy updatedAt }
  }
`);

const SaveChart = graphql(`
  mutation SaveChart(
    $id: String, $name: String!, $force: String, $operation: String, $root: String,
    $keys: [String!]!, $links: [ChartLink!]!, $hidden: [String!]!, $pinned: [String!]!, $types: [String!]!, $upTo: String
  ) {
    saveChart(id: $id, name: $name, force: $force, operation: $operation, root: $root, keys: $keys, links: $links,
              hidden: $hidden, pinned: $pinned, relationshipTypes: $types, upTo: $upTo) { id name root }
  }
`);

export interface ChartContent {
  root: string | null;
  keys: string[];
  links: { from: string; to: string; type: string }[];
  hidden: string[];
  pinned: string[];
  types: string[];
  upTo: string | null;
}

/** The panel: save the chart on screen (as new, or over the one opened), and the team's charts. */
export function KeptCharts({ opened, content, onSaved }: { opened: { id: string; name: string; force: string; operation?: string | null } | null; content: ChartContent; onSaved: (id: string, root: string | null) => void }) {
  const [{ data, error }, refetch] = useQuery({ query: ChartsQuery });
  const [saved, save] = useMutation(SaveChart);
  const [name, setName] = useState(opened?.name ?? '');
  const [force, setForce] = useState(opened?.force ?? 'WYP');
  const [operation, setOperation] = useState(opened?.operation ?? '');
  const [done, setDone] = useState<string | null>(null);

  const keep = async (asNew: boolean) => {
    setDone(null);
    const r = await save({
      id: asNew ? null : (opened?.id ?? null),
      name: name.trim() || 'Untitled chart',
      force,
      operation: operation.trim() || null,
      root: content.root,
      keys: content.keys,
      links: content.links,
      hidden: content.hidden,
      pinned: content.pinned,
      types: content.types,
      upTo: content.upTo,
    });
    if (r.data) {
      setDone(`Kept “${r.data.saveChart.name}”.`);
      refetch({ requestPolicy: 'network-only' });
      onSaved(r.data.saveChart.id, r.data.saveChart.root ?? null);
    }
  };

  return (
    <section className="kept-charts" aria-labelledby="kept-h">
      <h2 id="kept-h">Kept charts</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void keep(!opened);
        }}
      >
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} name="chart-name" />
        </label>
        <ForceSelect value={force} onChange={setForce} />
        <label>
          Operation <input value={operation} onChange={(e) => setOperation(e.target.value)} name="chart-operation" />
        </label>
        <button type="submit" disabled={saved.fetching || content.keys.length === 0}>
          {opened ? 'Save changes' : 'Keep this chart'}
        </button>
        {opened && (
          <button type="button" disabled={saved.fetching} onClick={() => void keep(true)}>
            Keep as a new chart
          </button>
        )}
        {done && (
          <p role="status" className="saved">
            {done}
          </p>
        )}
        {saved.error && <ErrorState error={saved.error} />}
      </form>
      {error && <ErrorState error={error} />}
      {data && data.charts.length > 0 && (
        <ul className="chart-list">
          {data.charts.map((c) => (
            <li key={c.id} aria-current={c.id === opened?.id ? 'true' : undefined}>
              <a href={href('/network', { key: c.root ?? '', chart: c.id })}>{c.name}</a>{' '}
              <span className="muted">
                {c.force}
                {c.operation ? ` · ${c.operation}` : ''} · {c.updatedBy} · {formatWhen(c.updatedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
