// The threat profiles a person appears in: their row in the VAWG, missing-persons and
// registered-offender profiles of their force as of a day, ranked in the whole profile,
// each explained in a sentence and linked to the profile. Asked for on demand: each
// profile is scored over the whole force.
import { useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { ThreatKind } from '../gql/graphql';
import { ErrorState, Loading } from './States';
import { href } from '../router';
import { formatDay } from '../lib/entity';
import { profileSentence } from '../lib/explain';

const PersonProfileQuery = graphql(`
  query PersonProfile($kind: ThreatKind!, $force: String!, $asOf: DateTime, $person: String!) {
    threatProfile(kind: $kind, force: $force, asOf: $asOf, person: $person) {
      total
      asOf
      edges { node { rank personId name score flags components { name contribution detail } } }
    }
  }
`);

const KINDS: [ThreatKind, string][] = [
  ['VAWG', 'VAWG perpetrators (RFGV)'],
  ['MISSING', 'Missing persons'],
  ['REGISTERED_OFFENDER', 'Registered offenders'],
];

export function PersonProfiles({ personId, force }: { personId: string; force: string }) {
  const [asOf, setAsOf] = useState(new Date().toISOString().slice(0, 10));
  const [asked, setAsked] = useState<string | null>(null);
  return (
    <section aria-label="Threat profiles">
      <h2>Threat profiles</h2>
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(asOf);
        }}
      >
        <label>
          As of
          <input type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} required />
        </label>
        <button type="submit">Find where they rank in {force}&apos;s profiles</button>
      </form>
      {asked && (
        <table>
          <thead>
            <tr>
              <th scope="col">Profile</th>
              <th scope="col">Rank</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {KINDS.map(([kind, label]) => (
              <ProfileRow key={`${kind}-${asked}`} kind={kind} label={label} force={force} personId={personId} asOf={asked} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ProfileRow(props: { kind: ThreatKind; label: string; force: string; personId: string; asOf: string }) {
  const { kind, label, force, personId, asOf } = props;
  const [{ data, error }] = useQuery({
    query: PersonProfileQuery,
    variables: { kind, force, person: personId, asOf: new Date(`${asOf}T00:00:00Z`).toISOString() },
  });
  const link = (
    <a href={href('/profiles', { kind, force, asOf })}>
      {label} <span className="muted">as of {formatDay(asOf)}</span>
    </a>
  );
  const row = data?.threatProfile.edges[0]?.node;
  return (
    // `data-kind` marks the row once the profile has answered.
    <tr data-kind={data ? kind : undefined} aria-busy={!data && !error}>
      <td>{link}</td>
      {error ? (
        <td colSpan={2}>
          <ErrorState error={error} />
        </td>
      ) : !data ? (
        <td colSpan={2}>
          <Loading what="the profile" />
        </td>
      ) : (
        <>
          <td>{row ? `${row.rank} of ${data.threatProfile.total}` : '—'}</td>
          <td>{row ? profileSentence(row) : <span className="muted">Not in this profile ({data.threatProfile.total} people are).</span>}</td>
        </>
      )}
    </tr>
  );
}
