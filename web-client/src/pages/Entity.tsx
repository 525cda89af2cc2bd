// The page of one node: for a person, names in every script, date of birth, flags and
// operations; for a phone, email or vehicle, who uses it and where it is written; for any
// node, what it is linked to (with first and last seen, roles and counts) and its
// timeline; a person's place in their force's threat profiles; every linked node opens
// its own page.
import { useMutation, useQuery, type CombinedError } from 'urql';
import { WatchIdentifier } from './Alerts';
import type { PersonPageQuery } from '../gql/graphql';
import { graphql } from '../gql';
import { Empty, ErrorState, Highlighted, Loading } from '../components/States';
import { href } from '../router';
import { PersonProfiles } from '../components/PersonProfiles';
import { Annotations } from '../components/Annotations';
import { ageOn, entityHref, formatDay, formatWhen, relationshipHeading, splitKey } from '../lib/entity';

const EntityQuery = graphql(`
  query EntityPage($key: String!) {
    neighbourhood(key: $key, hops: 1, limit: 300) {
      nodes { key label caption force protected }
      edges { from to type role count firstSeen lastSeen }
    }
    timeline(key: $key, limit: 200) { at kind key caption detail }
  }
`);

const PersonQuery = graphql(`
  query PersonPage($id: String!) {
    person(id: $id) {
      id
      name
      aliases
      force
      protected
      details {
        dateOfBirth
        gender
        registeredSexOffender
        visorCategory
        mappaLevel
        vulnerabilities
        operations
        withheld
      }
      mentions { documentId title force segment text }
    }
  }
`);

const WrittenQuery = graphql(`
  query IdentifierPage($identifier: String!) {
    linkage(identifier: $identifier) {
      key
      unresolved
      mentions { documentId title force snippet }
    }
  }
`);

interface Node {
  key: string;
  label: string;
  caption?: string | null;
  force?: string | null;
  protected: boolean;
}

interface Edge {
  from: string;
  to: string;
  type: string;
  role?: string | null;
  count?: number | null;
  firstSeen?: string | null;
  lastSeen?: string | null;
}

export function EntityPage({ nodeKey }: { nodeKey: string }) {
  const { label, id } = splitKey(nodeKey);
  const [{ data, error }, refetch] = useQuery({ query: EntityQuery, variables: { key: nodeKey }, pause: !nodeKey });
  // A person's own record, once, for the header and the documents naming them.
  const [person] = useQuery({ query: PersonQuery, variables: { id }, pause: label !== 'Person' });
  if (!nodeKey) return <Empty>No entity named.</Empty>;
  if (error) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading what="the entity" />;
  const graph = data.neighbourhood;
  if (!graph) return <Empty>Nothing is recorded under {nodeKey}, or it belongs to a force you cannot see.</Empty>;
  const self = graph.nodes.find((n) => n.key === nodeKey);
  return (
    <article className="entity" aria-labelledby="entity-h">
      {label === 'Person' ? (
        <PersonHeader id={id} data={person.data} error={person.error} />
      ) : (
        <header>
          <h1 id="entity-h" dir="auto">
            {self?.caption ?? id}
          </h1>
          <p className="meta">
            {label} · <code>{nodeKey}</code>
            {self?.force && <> · {self.force}</>}
          </p>
        </header>
      )}
      <p>
        <a className="button" href={href('/network', { key: nodeKey })}>
          Open in the network
        </a>{' '}
        {WATCHABLE.includes(label) && <WatchButton identifier={label === 'Person' ? nodeKey : id} />}
      </p>
      <Connections nodeKey={nodeKey} nodes={graph.nodes} edges={graph.edges} />
      {label === 'Person' ? <PersonMentions mentions={person.data?.person?.mentions ?? []} /> : ['Phone', 'Email', 'Vehicle'].includes(label) && <Written identifier={id} />}
      {label === 'Person' && person.data?.person?.force && <PersonProfiles personId={id} force={person.data.person.force} />}
      <Annotations on={nodeKey} />
      <section aria-label="Timeline">
        <h2>Timeline ({data.timeline.length})</h2>
        {data.timeline.length === 0 ? (
          <p className="muted">No dated events.</p>
        ) : (
          <table className="timeline">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">With</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {data.timeline.map((t, i) => (
                <tr key={`${t.key}-${t.kind}-${i}`}>
                  <td>{formatWhen(t.at)}</td>
                  <td>{t.kind}</td>
                  <td>
                    <a href={entityHref(t.key)} dir="auto">
                      {t.caption ?? t.key}
                    </a>
                  </td>
                  <td>{t.detail?.toLowerCase().replace(/_/g, ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  );
}

/** Kinds of node new material can mention, and so be watched for. */
const WATCHABLE = ['Person', 'Phone', 'Email', 'Vehicle', 'Location', 'OnlineAccount'];

/** Watches the node: new material that mentions it, however written, is an alert. */
function WatchButton({ identifier }: { identifier: string }) {
  const [{ data, fetching, error }, watch] = useMutation(WatchIdentifier);
  if (data?.watch) {
    return (
      <span role="status">
        Watching: new material that mentions it will appear under <a href={href('/alerts')}>Alerts</a>.
      </span>
    );
  }
  return (
    <>
      <button type="button" disabled={fetching} onClick={() => watch({ identifier })}>
        Watch
      </button>
      {error && <span className="error"> {error.graphQLErrors[0]?.message ?? error.message}</span>}
    </>
  );
}

function PersonHeader({ id, data, error }: { id: string; data?: PersonPageQuery; error?: CombinedError }) {
  if (error) return <ErrorState error={error} />;
  if (!data) return <Loading what="the person" />;
  const p = data.person;
  if (!p) return <Empty>No person {id} in your forces.</Empty>;
  const d = p.details;
  const age = d?.dateOfBirth ? ageOn(d.dateOfBirth, new Date()) : null;
  return (
    <header>
      <h1 id="entity-h" dir="auto">
        {p.name}
      </h1>
      {p.aliases.length > 0 && (
        <p className="aliases">
          Also recorded as:{' '}
          {p.aliases.map((a, i) => (
            <span key={a}>
              {i > 0 && ', '}
              <span dir="auto">{a}</span>
            </span>
          ))}
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Id</dt>
          <dd>
            <code>{p.id}</code>
          </dd>
        </div>
        <div>
          <dt>Force</dt>
          <dd>{p.force}</dd>
        </div>
        {d?.dateOfBirth && (
          <div>
            <dt>Born</dt>
            <dd>
              {formatWhen(d.dateOfBirth)}
              {age !== null && <> (age {age})</>}
            </dd>
          </div>
        )}
        {d?.gender && (
          <div>
            <dt>Gender</dt>
            <dd>{d.gender}</dd>
          </div>
        )}
        {d && d.operations.length > 0 && (
          <div>
            <dt>Operations</dt>
            <dd>{d.operations.join(', ')}</dd>
          </div>
        )}
      </dl>
      <p className="flags">
        {p.protected && <span className="flag">Protected: victim anonymity or a child</span>}
        {d?.registeredSexOffender && <span className="flag">Registered sex offender{d.visorCategory && ` (ViSOR ${d.visorCategory})`}</span>}
        {d?.mappaLevel != null && <span className="flag">MAPPA level {d.mappaLevel}</span>}
        {d?.vulnerabilities.map((v) => (
          <span key={v} className="flag">
            {v}
          </span>
        ))}
      </p>
      {d?.withheld && <p className="muted">Date of birth, gender and vulnerabilities are withheld: you may not see protected persons.</p>}
    </header>
  );
}

/** The nodes linked to this one, a table per relationship type. */
function Connections({ nodeKey, nodes, edges }: { nodeKey: string; nodes: Node[]; edges: Edge[] }) {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  // One table per relationship type and direction: a person's phones, a phone's users.
  const groups = new Map<string, Edge[]>();
  for (const e of edges) {
    if (e.from !== nodeKey && e.to !== nodeKey) continue;
    const heading = relationshipHeading(e.type, e.from === nodeKey);
    groups.set(heading, [...(groups.get(heading) ?? []), e]);
  }
  if (groups.size === 0) return <p className="muted">Nothing is linked to it in your forces.</p>;
  return (
    <>
      {[...groups.entries()].map(([heading, list]) => (
        <section key={heading} aria-label={heading}>
          <h2>
            {heading} ({list.length})
          </h2>
          <table className="connections">
            <thead>
              <tr>
                <th scope="col">Linked to</th>
                <th scope="col">Role</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {list.map((e, i) => {
                const other = byKey.get(e.from === nodeKey ? e.to : e.from);
                const key = other?.key ?? (e.from === nodeKey ? e.to : e.from);
                return (
                  <tr key={`${key}-${i}`}>
                    <td>
                      <a href={entityHref(key)} dir="auto">
                        {other?.caption ?? key}
                      </a>{' '}
                      <span className="muted">
                        {other?.label}
                        {other?.force && <> · {other.force}</>}
                      </span>
                    </td>
                    <td>
                      {e.role ?? ''}
                      {e.count != null && <> {e.count} times</>}
                    </td>
                    <td>{formatDay(e.firstSeen)}</td>
                    <td>{formatDay(e.lastSeen)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}

function PersonMentions({ mentions }: { mentions: NonNullable<PersonPageQuery['person']>['mentions'] }) {
  return (
    <section aria-label="Documents that name them">
      <h2>Documents that name them ({mentions.length})</h2>
      {mentions.length === 0 ? (
        <p className="muted">No document in your forces names them.</p>
      ) : (
        <ul>
          {mentions.map((m, i) => (
            <li key={`${m.documentId}-${i}`}>
              <a href={href('/doc', { id: m.documentId, seg: m.segment })}>{m.title ?? m.documentId}</a>{' '}
              <span className="muted">
                {m.force} · written <span dir="auto">“{m.text}”</span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Written({ identifier }: { identifier: string }) {
  const [{ data }] = useQuery({ query: WrittenQuery, variables: { identifier } });
  const mentions = data?.linkage.flatMap((l) => l.mentions) ?? [];
  const unresolved = data?.linkage.some((l) => l.unresolved);
  return (
    <section aria-label="Documents that hold it">
      <h2>Documents that hold it ({mentions.length})</h2>
      {unresolved && <p className="muted">Seen only in documents so far; no force record ties it to anyone.</p>}
      <ul>
        {mentions.map((m, i) => (
          <li key={`${m.documentId}-${i}`}>
            <a href={href('/doc', { id: m.documentId })}>{m.title}</a> <span className="muted">{m.force}</span>
            <div>
              <Highlighted html={m.snippet} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
