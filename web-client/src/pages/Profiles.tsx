// Threat profiles: ranked people per kind and force, each score with its components,
// contributing records and explanation; CSV export.
import { useState } from 'react';
import { useQuery } from 'urql';
import { graphql, getFragmentData, type FragmentType } from '../gql';
import type { ThreatKind } from '../gql/graphql';
import { Empty, ErrorState, Loading } from '../components/States';
import { ForceSelect } from '../forces';
import { entityHref, formatDay } from '../lib/entity';
import { Terms } from '../components/Terms';
import { componentLabel, profileSentence } from '../lib/explain';
import { navigate } from '../router';
import { download, toCsv } from '../lib/csv';

const RowFragment = graphql(`
  fragment ProfileRow_row on ThreatProfileRow {
    rank
    key
    personId
    name
    force
    score
    flags
    explanation
    method
    components { name raw score weight contribution detail }
    contributors { key at description harm }
  }
`);

const ProfileQuery = graphql(`
  query ThreatProfile($kind: ThreatKind!, $force: String!, $asOf: DateTime) {
    threatProfile(kind: $kind, force: $force, asOf: $asOf, first: 100) {
      total
      method
      asOf
      windowStart
      edges { node { key ...ProfileRow_row } }
    }
  }
`);

const KINDS: [ThreatKind, string][] = [
  ['VAWG', 'VAWG perpetrators (RFGV)'],
  ['MISSING', 'Missing persons'],
  ['REGISTERED_OFFENDER', 'Registered offenders'],
];

export function ProfilesPage({ params }: { params: URLSearchParams }) {
  const kind = (params.get('kind') as ThreatKind) || 'VAWG';
  const force = params.get('force') || 'WYP';
  const asOf = params.get('asOf') ?? '';
  const go = (c: Record<string, string>) => navigate('/profiles', { kind, force, asOf, ...c });
  const [{ data, error, fetching }, refetch] = useQuery({
    query: ProfileQuery,
    variables: { kind, force, asOf: asOf ? new Date(`${asOf}T00:00:00Z`).toISOString() : null },
  });
  const rows = data?.threatProfile.edges.map((e) => getFragmentData(RowFragment, e.node)) ?? [];
  const exportCsv = () =>
    download(
      `toex-${kind.toLowerCase()}-${force}-${(data?.threatProfile.asOf ?? '').slice(0, 10)}.csv`,
      toCsv(rows, [
        ['rank', (r) => r.rank], ['person_id', (r) => r.personId], ['name', (r) => r.name], ['force', (r) => r.force],
        ['score', (r) => r.score.toFixed(3)], ['flags', (r) => r.flags.join(';')], ['explanation', (r) => r.explanation],
        ...['R', 'F', 'G', 'V'].map((_, i): [string, (r: (typeof rows)[number]) => unknown] => [`component_${i + 1}`, (r) => r.components[i] ? `${r.components[i].name}=${r.components[i].contribution.toFixed(2)}` : '']),
        ['method', (r) => r.method],
      ]),
    );
  return (
    <section aria-labelledby="pr-h">
      <h1 id="pr-h">Threat profiles</h1>
      <div className="controls">
        <label>
          Profile
          <select value={kind} onChange={(e) => go({ kind: e.target.value })}>
            {KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <ForceSelect value={force} onChange={(f) => go({ force: f })} />
        <label>
          As of (blank: today)
          <input type="date" value={asOf} onChange={(e) => go({ asOf: e.target.value })} />
        </label>
        <button type="button" onClick={exportCsv} disabled={rows.length === 0}>
          Export CSV
        </button>
      </div>
      {error && <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && !error && <Loading what="the profile" />}
      {data && (
        <>
          <p className="meta" role="status">
            {data.threatProfile.total} ranked · window {formatDay(data.threatProfile.windowStart)} to {formatDay(data.threatProfile.asOf)} · method{' '}
            {data.threatProfile.method} {fetching && <span className="muted">(updating…)</span>}
          </p>
          <Terms names={['RFGV', 'CHI']} />
          {rows.length === 0 ? (
            <Empty>Nobody meets this profile in the window. Records older than the window do not count: try an earlier as-of date.</Empty>
          ) : (
            <div className="table-scroll">
              <table className="profile">
                <thead>
                  <tr>
                    <th scope="col">Rank</th>
                    <th scope="col">Person</th>
                    <th scope="col">Score</th>
                    <th scope="col">Flags</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                {data.threatProfile.edges.map((e) => (
                  <Row key={e.node.key} row={e.node} />
                ))}
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Row(props: { row: FragmentType<typeof RowFragment> }) {
  const r = getFragmentData(RowFragment, props.row);
  const [open, setOpen] = useState(false);
  return (
    <tbody>
      <tr>
        <td>{r.rank}</td>
        <td>
          <a href={entityHref(r.key)} dir="auto">
            {r.name ?? r.personId}
          </a>{' '}
          <span className="muted">{r.force}</span>
        </td>
        <td className="num">{r.score.toFixed(2)}</td>
        <td>
          {r.flags.map((f) => (
            <span key={f} className="flag">
              {f}
            </span>
          ))}
        </td>
        <td>
          {profileSentence(r)}{' '}
          <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Hide detail' : 'Detail'}
          </button>
        </td>
      </tr>
      {open && (
        <tr className="detail">
          <td colSpan={5}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">Measure</th>
                  <th scope="col">Band score</th>
                  <th scope="col">Weight</th>
                  <th scope="col">Contribution</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {r.components.map((c) => (
                  <tr key={c.name}>
                    <td>{componentLabel(c.name)}</td>
                    <td className="num">{c.raw}</td>
                    <td className="num">{c.score}</td>
                    <td className="num">{c.weight}</td>
                    <td className="num">{c.contribution.toFixed(2)}</td>
                    <td>{c.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h4>Contributing records</h4>
            <ul>
              {r.contributors.map((c) => (
                <li key={c.key}>
                  <a href={entityHref(c.key)}>{c.key}</a> {formatDay(c.at)} — {c.description}
                  {c.harm != null && <> (harm {c.harm})</>}
                </li>
              ))}
            </ul>
            <p className="muted">
              Method {r.method}: <code>{r.explanation}</code>
            </p>
          </td>
        </tr>
      )}
    </tbody>
  );
}
