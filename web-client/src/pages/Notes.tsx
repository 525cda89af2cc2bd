// Notes: the case team's notes, tags and bookmarks across everything the analyst may
// see — found by their words, by a tag (the tags in use are listed with their counts),
// or the analyst's own bookmarks — each opening what it is on.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { AnnotationKind } from '../gql/graphql';
import { lineLabel, RemoveAnnotation } from '../components/Annotations';
import { Empty, ErrorState, Loading } from '../components/States';
import { entityHref, formatWhen } from '../lib/entity';
import { href, navigate } from '../router';

const FindNotes = graphql(`
  query FindNotes($query: String, $tag: String, $kind: AnnotationKind, $mine: Boolean!) {
    annotations(query: $query, tag: $tag, kind: $kind, mine: $mine, first: 100) {
      id kind segment text author force operation createdAt mine
      on { key label caption }
    }
    tags(first: 50) { tag count }
  }
`);

/** Where an annotation's target opens: a document at its line, any other node's page. */
function targetHref(key: string, segment: number | null | undefined): string {
  if (key.startsWith('Document:')) return href('/doc', { id: key.slice('Document:'.length), seg: segment ?? undefined });
  return entityHref(key);
}

export function NotesPage({ params }: { params: URLSearchParams }) {
  const q = params.get('q') ?? '';
  const tag = params.get('tag') ?? '';
  const bookmarks = params.get('bookmarks') === '1';
  const [draft, setDraft] = useState(q);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: FindNotes,
    variables: {
      query: q || null,
      tag: tag || null,
      kind: bookmarks ? ('BOOKMARK' as AnnotationKind) : null,
      mine: bookmarks,
    },
  });
  const [, remove] = useMutation(RemoveAnnotation);
  const again = () => refetch({ requestPolicy: 'network-only' });
  const heading = q ? `Notes with “${q}”` : tag ? `Tagged “${tag}”` : bookmarks ? 'My bookmarks' : 'Latest notes, tags and bookmarks';

  return (
    <section className="notes">
      <h1>Notes</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/notes', { q: draft.trim() });
        }}
      >
        <input aria-label="Search notes" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="words in a note or tag" />
        <button type="submit">Search notes</button>{' '}
        <a href={href('/notes', { bookmarks: 1 })} aria-current={bookmarks ? 'page' : undefined}>
          My bookmarks
        </a>
      </form>
      {data && data.tags.length > 0 && (
        <p className="tag-cloud" aria-label="Tags in use">
          {data.tags.map((t) => (
            <a key={t.tag} className="tag" href={href('/notes', { tag: t.tag })} aria-current={t.tag === tag.toLowerCase() ? 'page' : undefined}>
              {t.tag} <span className="muted">{t.count}</span>
            </a>
          ))}
        </p>
      )}
      <h2>{heading}</h2>
      {error && <ErrorState error={error} retry={again} />}
      {!data && !error && fetching && <Loading what="notes" />}
      {data && data.annotations.length === 0 && <Empty>Nothing found. Notes, tags and bookmarks are added on a document's or entity's page.</Empty>}
      {data && data.annotations.length > 0 && (
        <ol className="annotation-list found">
          {data.annotations.map((a) => (
            <li key={a.id} className={`annotation kind-${a.kind.toLowerCase()}`}>
              <a href={targetHref(a.on.key, a.segment)}>
                {a.on.caption ?? a.on.key}
                {a.segment !== null && a.segment !== undefined ? ` (${lineLabel(a.segment)})` : ''}
              </a>{' '}
              <span className="muted">{a.on.label}</span>
              <p>
                <span className="kind">{a.kind.toLowerCase()}</span>{' '}
                <span className="text" dir="auto">
                  {a.text}
                </span>
              </p>
              <span className="muted">
                {a.author} · {formatWhen(a.createdAt)} · {a.force}
                {a.operation ? ` · ${a.operation}` : ''}
              </span>
              {a.mine && (
                <button type="button" className="link" onClick={() => remove({ id: a.id }).then(again)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
