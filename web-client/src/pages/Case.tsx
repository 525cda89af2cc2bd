// A case: one operation as its team works on it — its material and people counted, and
// what the team keeps for it (saved searches, watches, notes, bookmarks, link charts and
// decisions on cross-case matches), with who has worked on it and the way to review its
// links to other cases.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { Empty, ErrorState, Loading } from '../components/States';
import { lineLabel } from '../components/Annotations';
import { DecisionList } from './Review';
import { entityHref, formatWhen } from '../lib/entity';
import { href, navigate } from '../router';

const CaseQuery = graphql(`
  query CasePage($operation: String!) {
    case(operation: $operation) {
      operation force documents persons incidents missingEpisodes team
      savedSearches { id name text owner createdAt }
      watches { id name text owner createdAt }
      notes(first: 50) { id text author createdAt segment on { key label caption } }
      bookmarks(first: 50) { id text author createdAt segment on { key label caption } }
      charts { id name root updatedBy updatedAt }
      decisions { key personId decision reason decidedBy decidedAt }
    }
  }
`);

const ExportCase = graphql(`
  mutation ExportCase($operation: String!) {
    exportCase(operation: $operation) { url bytes expiresAt manifest }
  }
`);

/** Where an annotation's target opens. */
function onHref(key: string, segment: number | null | undefined): string {
  if (key.startsWith('Document:')) return href('/doc', { id: key.slice('Document:'.length), seg: segment ?? undefined });
  return entityHref(key);
}

export function CasePage({ params }: { params: URLSearchParams }) {
  const operation = params.get('op') ?? '';
  const [draft, setDraft] = useState(operation);
  return (
    <section className="case">
      <form
        className="case-pick"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/case', { op: draft.trim() });
        }}
      >
        <label>
          Operation <input value={draft} onChange={(e) => setDraft(e.target.value)} required name="case" />
        </label>{' '}
        <button type="submit">Open the case</button>
      </form>
      {operation ? <CaseView operation={operation} /> : <Empty>Name an operation to open it as a case.</Empty>}
    </section>
  );
}

function CaseView({ operation }: { operation: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: CaseQuery, variables: { operation } });
  if (error) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return fetching ? <Loading what="the case" /> : null;
  const c = data.case;
  if (!c) return <Empty>There is no operation {operation} in your forces.</Empty>;
  return (
    <>
      <h1>{c.operation}</h1>
      <p className="meta">
        {c.force} · {c.documents} documents · {c.persons} persons · {c.incidents} incidents · {c.missingEpisodes} missing episodes
      </p>
      <p>
        <a className="button" href={href('/review', { op: c.operation })}>
          Review cross-case matches
        </a>{' '}
        <ExportButton operation={c.operation} />
      </p>
      <h2>Team ({c.team.length})</h2>
      {c.team.length === 0 ? <Empty>Nobody has kept anything for this case yet.</Empty> : <p>{c.team.join(', ')}</p>}
      <h2>Saved searches ({c.savedSearches.length})</h2>
      {c.savedSearches.length === 0 ? (
        <Empty>None kept for this case.</Empty>
      ) : (
        <ul>
          {c.savedSearches.map((s) => (
            <li key={s.id}>
              <a href={href('/search', { q: s.text })}>{s.name}</a> <code>{s.text}</code> <span className="muted">{s.owner}</span>
            </li>
          ))}
        </ul>
      )}
      <h2>Watched ({c.watches.length})</h2>
      {c.watches.length === 0 ? (
        <Empty>Nothing watched for this case.</Empty>
      ) : (
        <ul>
          {c.watches.map((w) => (
            <li key={w.id}>
              {w.name} <code>{w.text}</code> <span className="muted">{w.owner}</span>
            </li>
          ))}
        </ul>
      )}
      <h2>Notes ({c.notes.length})</h2>
      {c.notes.length === 0 ? <Empty>No notes kept for this case.</Empty> : <Kept items={c.notes} />}
      <h2>Bookmarks ({c.bookmarks.length})</h2>
      {c.bookmarks.length === 0 ? <Empty>Nothing bookmarked for this case.</Empty> : <Kept items={c.bookmarks} />}
      <h2>Link charts ({c.charts.length})</h2>
      {c.charts.length === 0 ? (
        <Empty>No chart kept with this case. Keep one from the Network page.</Empty>
      ) : (
        <ul>
          {c.charts.map((ch) => (
            <li key={ch.id}>
              <a href={href('/network', { key: ch.root ?? '', chart: ch.id })}>{ch.name}</a>{' '}
              <span className="muted">
                {ch.updatedBy} · {formatWhen(ch.updatedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>Cross-case decisions ({c.decisions.length})</h2>
      {c.decisions.length === 0 ? (
        <Empty>No match reviewed yet.</Empty>
      ) : (
        <DecisionList decisions={c.decisions} />
      )}
    </>
  );
}

function Kept({ items }: { items: { id: string; text: string; author: string; createdAt: string; segment?: number | null; on: { key: string; label: string; caption?: string | null } }[] }) {
  return (
    <ul className="annotation-list">
      {items.map((a) => (
        <li key={a.id}>
          <a href={onHref(a.on.key, a.segment)}>
            {a.on.caption ?? a.on.key}
            {a.segment !== null && a.segment !== undefined ? ` (${lineLabel(a.segment)})` : ''}
          </a>{' '}
          <span className="text" dir="auto">
            {a.text}
          </span>{' '}
          <span className="muted">
            {a.author} · {formatWhen(a.createdAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Writes the case as a ZIP bundle and offers it for download, with what it holds. */
function ExportButton({ operation }: { operation: string }) {
  const [result, exportCase] = useMutation(ExportCase);
  const done = result.data?.exportCase;
  const counts = (done?.manifest as { counts?: Record<string, number>; marking?: string } | undefined) ?? {};
  return (
    <>
      <button type="button" disabled={result.fetching} onClick={() => void exportCase({ operation })}>
        {result.fetching ? 'Exporting…' : 'Export the case'}
      </button>
      {done && (
        <span role="status" className="saved">
          {' '}
          <a href={done.url} download>
            Download the bundle
          </a>{' '}
          <span className="muted">
            ({Math.ceil(done.bytes / 1024)} KiB, {counts.marking}: {Object.entries(counts.counts ?? {}).map(([k, n]) => `${n} ${k}`).join(', ')}; the link works for an hour)
          </span>
        </span>
      )}
      {result.error && <ErrorState error={result.error} />}
    </>
  );
}
