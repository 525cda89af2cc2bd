// Where an entity appears: persons who use it (with operations and incidents) and other
// documents that mention it, with a way into the network.
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { Empty, ErrorState, Highlighted, Loading } from './States';
import { href } from '../router';
import { formatMs } from '../lib/text';
import { entityHref, formatDay } from '../lib/entity';

const LinkageQuery = graphql(`
  query Linkage($identifier: String!) {
    linkage(identifier: $identifier) {
      kind
      value
      key
      unresolved
      operations
      persons {
        id
        name
        force
        via
        operations
        incidents {
          id
          role
          crimeType
          occurredAt
        }
      }
      mentions {
        documentId
        title
        force
        snippet
        segment {
          startMs
          line
        }
      }
    }
  }
`);

export function LinkagePanel({
  entity,
  onClose,
}: {
  entity: { kind: string; value: string; text: string; key?: string | null };
  onClose: () => void;
}) {
  const identifier = entity.kind === 'PERSON' ? entity.text : entity.value;
  const [{ data, error }] = useQuery({ query: LinkageQuery, variables: { identifier } });
  return (
    <section className="linkage" aria-label={`Linkage of ${identifier}`}>
      <header>
        <h3>
          {entity.kind}: <span dir="auto">{entity.kind === 'PERSON' ? entity.text : entity.value}</span>
        </h3>
        <button type="button" onClick={onClose} aria-label="Close linkage">
          ×
        </button>
      </header>
      {entity.key && (
        <p className="buttons">
          <a className="button" href={entityHref(entity.key)}>
            Open its page
          </a>{' '}
          <a className="button" href={href('/network', { key: entity.key })}>
            Open in the network
          </a>
        </p>
      )}
      {error && <ErrorState error={error} />}
      {!data && !error && <Loading what="linkage" />}
      {data && data.linkage.length === 0 && <Empty>Nothing else is known about it.</Empty>}
      {data?.linkage.map((l) => (
        <div key={`${l.kind}:${l.value}`}>
          {l.unresolved && <p className="muted">Seen only in documents so far; no force record ties it to anyone.</p>}
          <h4>People ({l.persons.length})</h4>
          <ul>
            {l.persons.map((p) => (
              <li key={p.id}>
                <a href={entityHref(`Person:${p.id}`)} dir="auto">
                  {p.name}
                </a>{' '}
                <span className="muted">
                  {p.force} · {p.via.toLowerCase()}
                  {p.operations.length > 0 && <> · {p.operations.join(', ')}</>}
                </span>
                {p.incidents.length > 0 && (
                  <ul className="small">
                    {p.incidents.slice(0, 5).map((i) => (
                      <li key={i.id}>
                        {i.crimeType ?? 'incident'} {i.role && `(${i.role})`} {formatDay(i.occurredAt)}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
          <h4>Mentioned in ({l.mentions.length})</h4>
          <ul>
            {l.mentions.slice(0, 20).map((m, i) => (
              <li key={`${m.documentId}-${i}`}>
                <a href={href('/doc', { id: m.documentId })}>{m.title}</a>{' '}
                {m.segment?.startMs != null && <span className="muted">{formatMs(m.segment.startMs)}</span>}
                <div>
                  <Highlighted html={m.snippet} />
                </div>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
