// Where a file came from and what was found in it: the container (linked to its
// document), an email's headers, the hash, every other place the same file was found,
// and the attachments or members that became documents of their own.
import { href } from '../router';

interface FoundIn {
  name: string;
  documentId?: string | null;
  path: string;
  depth: number;
}

interface FileProvenance {
  sha256: string;
  format: string;
  tool?: string | null;
  foundIn?: FoundIn | null;
  headers: { name: string; value: string }[];
  pagesWithoutText: number[];
  alsoFound: { name: string; foundIn?: FoundIn | null }[];
}

/** The container a file was in, linked to its document when it has one. */
function Container({ c }: { c: FoundIn }) {
  return (
    <>
      {c.documentId ? <a href={href('/doc', { id: c.documentId })}>{c.name}</a> : <span>{c.name}</span>} at{' '}
      <code>{c.path}</code>
    </>
  );
}

/** Where the file came from: the container it was found in, its headers, its hash. */
export function Provenance({ provenance: p }: { provenance: FileProvenance }) {
  return (
    <section className="file-provenance" aria-label="Where it came from">
      {p.headers.length > 0 && (
        <dl className="headers">
          {p.headers.map((h) => (
            <div key={h.name}>
              <dt>{h.name}</dt>
              <dd dir="auto">{h.value}</dd>
            </div>
          ))}
        </dl>
      )}
      <p className="provenance">
        {p.foundIn && (
          <>
            Found in <Container c={p.foundIn} /> · {' '}
          </>
        )}
        {p.format}
        {p.tool && <> read by {p.tool}</>} · SHA-256 <code title={p.sha256}>{p.sha256.slice(0, 16)}…</code>
      </p>
      {p.alsoFound.length > 0 && (
        <details className="also-found">
          <summary>
            The same file was found in {p.alsoFound.length} other {p.alsoFound.length === 1 ? 'place' : 'places'}
          </summary>
          <ul>
            {p.alsoFound.map((place, i) => (
              <li key={i}>
                {place.foundIn ? <Container c={place.foundIn} /> : <code>{place.name}</code>}
              </li>
            ))}
          </ul>
        </details>
      )}
      {p.pagesWithoutText.length > 0 && (
        <p className="muted">Pages with no text layer (scans), not yet read: {p.pagesWithoutText.join(', ')}.</p>
      )}
    </section>
  );
}

interface ContainedFile {
  documentId: string;
  title: string;
  path: string;
  sourceType: string;
}

/** The files found in this one (an email's attachments), each linked to its document. */
export function Contents({ files, email }: { files: ContainedFile[]; email: boolean }) {
  const what = email ? 'Attachments' : 'Files found in it';
  return (
    <section className="contents" aria-label={what}>
      <h2>
        {what} ({files.length})
      </h2>
      <ul>
        {files.map((f) => (
          <li key={`${f.documentId}/${f.path}`}>
            <a href={href('/doc', { id: f.documentId })} dir="auto">
              {f.path || f.title}
            </a>{' '}
            <span className="muted">{f.sourceType}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
