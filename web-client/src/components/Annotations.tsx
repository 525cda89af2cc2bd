// The case team's notes, tags and bookmarks on one node (a document, person, phone, …),
// each with its author and time; a form to add one, on the whole node or, for a
// document, on one of its lines; the author's own ones can be removed.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { AnnotationKind } from '../gql/graphql';
import { formatWhen } from '../lib/entity';
import { href } from '../router';
import { Empty, ErrorState, Loading } from './States';

export const AnnotationsOn = graphql(`
  query AnnotationsOn($on: String!) {
    annotations(on: $on, first: 100) { id kind segment text author operation createdAt mine }
  }
`);

const Annotate = graphql(`
  mutation Annotate($on: String!, $segment: Int, $kind: AnnotationKind!, $text: String!) {
    annotate(on: $on, segment: $segment, kind: $kind, text: $text) { id }
  }
`);

export const RemoveAnnotation = graphql(`
  mutation RemoveAnnotation($id: String!) {
    removeAnnotation(id: $id)
  }
`);

const KIND_NAMES: Record<AnnotationKind, string> = { NOTE: 'Note', TAG: 'Tag', BOOKMARK: 'Bookmark' };
const KINDS: AnnotationKind[] = ['NOTE', 'TAG', 'BOOKMARK'];

/** Where an annotation's line is: `line 3` (segments count from one for readers). */
export function lineLabel(segment: number | null | undefined): string {
  return segment === null || segment === undefined ? '' : `line ${segment + 1}`;
}

export function Annotations({ on, lines = 0, focus = null }: { on: string; lines?: number; focus?: number | null }) {
  const [{ data, error }, refetch] = useQuery({ query: AnnotationsOn, variables: { on } });
  const [added, annotate] = useMutation(Annotate);
  const [, remove] = useMutation(RemoveAnnotation);
  const [kind, setKind] = useState<AnnotationKind>('NOTE');
  const [text, setText] = useState('');
  const [line, setLine] = useState(focus !== null ? String(focus + 1) : '');
  const again = () => refetch({ requestPolicy: 'network-only' });
  const docId = on.startsWith('Document:') ? on.slice('Document:'.length) : null;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const n = line.trim() === '' ? null : Number(line) - 1;
    const r = await annotate({ on, kind, text, segment: n !== null && Number.isInteger(n) ? n : null });
    if (!r.error) {
      setText('');
      again();
    }
  };

  return (
    <section className="annotations" aria-labelledby={`notes-${on}`}>
      <h2 id={`notes-${on}`}>Notes and tags</h2>
      {error && <ErrorState error={error} retry={again} />}
      {!data && !error && <Loading what="notes" />}
      {data && data.annotations.length === 0 && <Empty>No notes, tags or bookmarks yet.</Empty>}
      {data && data.annotations.length > 0 && (
        <ul className="annotation-list">
          {data.annotations.map((a) => (
            <li key={a.id} className={`annotation kind-${a.kind.toLowerCase()}`}>
              {a.kind === 'TAG' ? (
                <a className="tag" href={href('/notes', { tag: a.text })}>
                  {a.text}
                </a>
              ) : (
                <>
                  <span className="kind">{KIND_NAMES[a.kind]}</span>{' '}
                  <span className="text" dir="auto">
                    {a.text}
                  </span>
                </>
              )}{' '}
              <span className="muted">
                {docId && a.segment !== null && a.segment !== undefined && (
                  <>
                    <a href={href('/doc', { id: docId, seg: a.segment })}>{lineLabel(a.segment)}</a> ·{' '}
                  </>
                )}
                {a.author} · {formatWhen(a.createdAt)}
                {a.operation ? ` · ${a.operation}` : ''}
              </span>
              {a.mine && (
                <button type="button" className="link" onClick={() => remove({ id: a.id }).then(again)} aria-label={`Remove ${KIND_NAMES[a.kind].toLowerCase()}`}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="annotate" onSubmit={submit}>
        <label>
          Add a{' '}
          <select aria-label="Kind of annotation" value={kind} onChange={(e) => setKind(e.target.value as AnnotationKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_NAMES[k].toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        {kind === 'NOTE' ? (
          <textarea aria-label="Note" value={text} onChange={(e) => setText(e.target.value)} rows={3} maxLength={10000} required />
        ) : (
          <input
            aria-label={kind === 'TAG' ? 'Tag' : 'Bookmark label (optional)'}
            value={text}
            onChange={(e) => setText(e.target.value)}
            maxLength={kind === 'TAG' ? 64 : 200}
            required={kind === 'TAG'}
          />
        )}
        {lines > 0 && (
          <label>
            on line{' '}
            <input
              type="number"
              min={1}
              max={lines}
              value={line}
              placeholder="all"
              onChange={(e) => setLine(e.target.value)}
              aria-label="On line (empty: the whole document)"
            />
          </label>
        )}
        <button type="submit" disabled={added.fetching}>
          Add
        </button>
        {added.error && <ErrorState error={added.error} />}
      </form>
    </section>
  );
}
