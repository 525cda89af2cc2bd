// A document or transcript: segments with their times, the recording synced to them (or
// the photo or scan beside its OCR'd lines),
// extracted entities that open their linkage, and the translation with its provenance
// and the analyst's correction; a translation job started from here is followed live.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql, getFragmentData, type FragmentType } from '../gql';
import { Empty, ErrorState, Loading } from '../components/States';
import { LinkagePanel } from '../components/Linkage';
import { LongText } from '../components/LongText';
import { JobFragment, JobSubscription, JobView } from './Ingest';
import { PageImage, PdfLink, confidenceLabel, type Frame, type Region } from '../components/PageImage';
import { keepMediaUrl } from '../lib/media';
import { activeSegment, formatMs, segmentPlace, splitBySpans } from '../lib/text';
import { Contents, Provenance } from '../components/FileOrigin';
import { Annotations } from '../components/Annotations';
import { formatWhen } from '../lib/entity';
import { type LineRun, type Translatable, describeRuns, installAdvice, modelName, translatorFor } from '../lib/translation';

const EntityFragment = graphql(`
  fragment EntityMark_entity on Entity {
    kind
    value
    text
    side
    segment
    start
    end
    key
  }
`);

const DocumentQuery = graphql(`
  query DocumentView($id: String!) {
    document(id: $id) {
      id
      title
      text
      language
      translation
      force
      operation
      sourceType
      ingestedAt
      segments {
        text
        line
        startMs
        endMs
        speaker
        sent
        page
        cell
        replyTo
        attachments
        region {
          left
          top
          width
          height
        }
        confidence
      }
      contents {
        documentId
        title
        path
        sourceType
      }
      provenance {
        sha256
        format
        tool
        foundIn {
          name
          documentId
          path
          depth
        }
        headers {
          name
          value
        }
        pagesWithoutText
        alsoFound {
          name
          foundIn {
            name
            documentId
            path
            depth
          }
        }
      }
      media {
        url
        contentType
      }
      scannedPages {
        page
        url
        width
        height
      }
      translationProvenance {
        engine
        model
        version
        translatedAt
        lines {
          first
          last
          language
          model
        }
      }
      correctedTranslation {
        text
        by
        at
      }
      entities {
        ...EntityMark_entity
      }
    }
    health {
      translation {
        language
        model
      }
    }
  }
`);

const CorrectMutation = graphql(`
  mutation CorrectTranslation($id: String!, $text: String!) {
    correctTranslation(documentId: $id, text: $text) {
      id
      correctedTranslation {
        text
        by
        at
      }
    }
  }
`);

const TranslateMutation = graphql(`
  mutation TranslateDocument($force: String!, $operation: String, $id: String!) {
    translateDocuments(force: $force, operation: $operation, documentIds: [$id], retranslate: true) {
      id
    }
  }
`);

type Entity = ReturnType<typeof unmask>;
function unmask(e: FragmentType<typeof EntityFragment>) {
  return getFragmentData(EntityFragment, e);
}

export function DocumentPage({ id, segment }: { id: string; segment: string | null }) {
  const [{ data, error }, refetch] = useQuery({ query: DocumentQuery, variables: { id }, pause: !id });
  const [picked, setPicked] = useState<Entity | null>(null);
  if (!id) return <Empty>No document named.</Empty>;
  if (error) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading what="the document" />;
  const doc = data.document;
  if (!doc) return <Empty>This document does not exist, or belongs to a force you cannot see.</Empty>;
  const entities = doc.entities.map(unmask);
  return (
    <article className="document" aria-labelledby="doc-h">
      <h1 id="doc-h" dir="auto">
        {doc.title}
      </h1>
      <p className="meta">
        {doc.force}
        {doc.operation && <> · operation {doc.operation}</>} · {doc.sourceType} · {doc.language ?? 'language unknown'} · ingested{' '}
        {formatWhen(doc.ingestedAt)}
      </p>
      {doc.provenance && <Provenance provenance={doc.provenance} />}
      {doc.contents.length > 0 && <Contents files={doc.contents} email={doc.sourceType === 'email'} />}
      <div className="doc-layout">
        <div className="doc-main">
          {doc.segments.length > 0 ? (
            <Segments
              segments={doc.segments}
              media={doc.media ?? null}
              scanned={doc.scannedPages}
              entities={entities}
              initial={segment === null ? null : Number(segment)}
              onEntity={setPicked}
            />
          ) : doc.media?.contentType.startsWith('image/') ? (
            <section aria-label="Photo">
              <PageImage src={doc.media.url} title={doc.title} lines={[]} focus={null} />
              <p className="muted">No text was found in this image.</p>
            </section>
          ) : (
            <section aria-label="Text">
              <h2>Original</h2>
              <p className="fulltext" dir="auto">
                <Marked text={doc.text} entities={entities.filter((e) => e.side === 'ORIGINAL' && e.segment == null)} onEntity={setPicked} />
              </p>
            </section>
          )}
          <Translation
            doc={doc}
            installed={data.health.translation}
            entities={entities}
            onEntity={setPicked}
            onTranslated={() => refetch({ requestPolicy: 'network-only' })}
          />
        </div>
        <aside className="doc-side" aria-label="Entities">
          <h2>Entities</h2>
          {entities.length === 0 && <Empty>None found.</Empty>}
          <ul className="entity-list">
            {dedupe(entities).map((e) => (
              <li key={`${e.kind}:${e.value}`}>
                <button type="button" className={`entity ${e.kind.toLowerCase()}`} onClick={() => setPicked(e)}>
                  <span className="kind">{e.kind}</span> {e.kind === 'PERSON' ? e.text : e.value}
                </button>
              </li>
            ))}
          </ul>
          {picked && <LinkagePanel entity={picked} onClose={() => setPicked(null)} />}
          <Annotations on={`Document:${doc.id}`} lines={doc.segments.length} focus={segment === null ? null : Number(segment)} />
        </aside>
      </div>
    </article>
  );
}

function dedupe(entities: Entity[]): Entity[] {
  const seen = new Set<string>();
  return entities.filter((e) => {
    const k = `${e.kind}:${e.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function Marked({ text, entities, onEntity }: { text: string; entities: Entity[]; onEntity: (e: Entity) => void }) {
  return (
    <>
      {splitBySpans(text, entities).map((p, i) =>
        p.span ? (
          <button
            key={i}
            type="button"
            className={`mark ${p.span.kind.toLowerCase()}`}
            title={`${p.span.kind}: ${p.span.value} — show where else it appears`}
            onClick={() => onEntity(p.span!)}
          >
            {p.text}
          </button>
        ) : (
          <LongText key={i} text={p.text} />
        ),
      )}
    </>
  );
}

interface Seg {
  text: string;
  line?: number | null;
  startMs?: number | null;
  endMs?: number | null;
  speaker?: string | null;
  sent?: string | null;
  page?: number | null;
  cell?: string | null;
  replyTo?: number | null;
  attachments?: string[];
  region?: Region | null;
  confidence?: number | null;
}

export function Segments(props: {
  segments: Seg[];
  media: { url: string; contentType: string } | null;
  /** A scanned PDF's pages as images, with the frame their boxes are in. */
  scanned: (Frame & { url: string })[];
  entities: Entity[];
  initial: number | null;
  onEntity: (e: Entity) => void;
}) {
  const { segments, media, entities } = props;
  const audio = useRef<HTMLAudioElement & HTMLVideoElement>(null);
  const [playing, setPlaying] = useState(-1);
  const [focus, setFocus] = useState<number | null>(props.initial);
  const rows = useRef<(HTMLLIElement | null)[]>([]);
  const timed = segments.some((s) => s.startMs !== null && s.startMs !== undefined);
  const bySegment = useMemo(() => {
    const m = new Map<number, Entity[]>();
    for (const e of entities) if (e.side === 'ORIGINAL' && e.segment != null) m.set(e.segment, [...(m.get(e.segment) ?? []), e]);
    return m;
  }, [entities]);

  useEffect(() => {
    if (focus !== null) rows.current[focus]?.scrollIntoView({ block: 'center' });
  }, [focus]);

  const seek = (i: number) => {
    setFocus(i);
    const el = audio.current;
    const s = segments[i].startMs;
    if (el && s !== null && s !== undefined) {
      el.currentTime = s / 1000;
      void el.play().catch(() => undefined);
    }
  };
  const onTime = () => {
    const el = audio.current;
    if (!el) return;
    const i = activeSegment(segments, el.currentTime * 1000);
    if (i !== playing) {
      setPlaying(i);
      if (i >= 0) rows.current[i]?.scrollIntoView({ block: 'nearest' });
    }
  };
  // A refetch signs the recording again; the player keeps its URL so it does not restart.
  const kept = useRef<string | null>(null);
  const src = media ? keepMediaUrl(kept.current, media.url, Date.now() / 1000) : null;
  kept.current = src;
  const Player = media?.contentType.startsWith('video/') ? 'video' : 'audio';
  const image = media?.contentType.startsWith('image/') ?? false;
  const pdf = media?.contentType === 'application/pdf';
  const page = focus !== null ? (segments[focus]?.page ?? null) : null;
  // A scanned page is shown beside its lines: the focused line's, else the first.
  const scan = pdf ? (props.scanned.find((p) => p.page === page) ?? (page === null ? props.scanned[0] : undefined)) : undefined;
  return (
    <section aria-label="Segments" className={image || scan ? 'with-page' : undefined}>
      {src && image && <PageImage src={src} title="The original" lines={segments} focus={focus} onPick={setFocus} />}
      {scan && <PageImage src={scan.url} title="The original" lines={segments} focus={focus} onPick={setFocus} frame={scan} />}
      {src && pdf && <PdfLink src={src} page={page} />}
      {media && !image && !pdf && (
        <div className="player">
          <Player ref={audio} src={src ?? undefined} controls preload="metadata" onTimeUpdate={onTime} onSeeked={onTime} aria-label="Recording" />
        </div>
      )}
      {!media && timed && <p className="muted">No recording is stored with this transcript.</p>}
      <ol className="segments">
        {segments.map((s, i) => (
          <li
            key={i}
            ref={(el) => {
              rows.current[i] = el;
            }}
            className={[i === playing ? 'playing' : '', i === focus ? 'focused' : ''].join(' ')}
            aria-current={i === playing ? 'true' : undefined}
            data-index={i}
          >
            {s.startMs !== null && s.startMs !== undefined ? (
              <button type="button" className="time" onClick={() => seek(i)} title={media ? 'Play from here' : 'Time in the recording'}>
                {formatMs(s.startMs)}
              </button>
            ) : (
              <span className="time">{segmentPlace(s)}</span>
            )}
            {s.speaker && <span className="speaker">{s.speaker}</span>}
            <span
              className={s.confidence != null && s.confidence < 60 ? 'segtext uncertain' : 'segtext'}
              dir="auto"
              title={confidenceLabel(s.confidence) || undefined}
              onClick={s.region ? () => setFocus(i) : undefined}
            >
              {s.replyTo != null && segments[s.replyTo - 1] && (
                <button type="button" className="reply" onClick={() => setFocus(s.replyTo! - 1)} title="Show the message this answers">
                  ↩ {segments[s.replyTo - 1].text.slice(0, 60)}
                </button>
              )}
              <Marked text={s.text} entities={bySegment.get(i) ?? []} onEntity={props.onEntity} />
              {s.attachments && s.attachments.length > 0 && <span className="attachments"> 📎 {s.attachments.join(', ')}</span>}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Translation(props: {
  doc: {
    id: string;
    force: string;
    operation?: string | null;
    language?: string | null;
    translation?: string | null;
    translationProvenance?: {
      engine: string;
      model?: string | null;
      version?: string | null;
      translatedAt?: string | null;
      lines: LineRun[];
    } | null;
    correctedTranslation?: { text: string; by: string; at: string } | null;
  };
  installed: Translatable[];
  entities: Entity[];
  onEntity: (e: Entity) => void;
  onTranslated: () => void;
}) {
  const { doc } = props;
  const [editing, setEditing] = useState(false);
  const [job, translate] = useMutation(TranslateMutation);
  const jobId = job.data?.translateDocuments.id ?? null;
  const [draft, setDraft] = useState('');
  const [result, correct] = useMutation(CorrectMutation);
  const p = doc.translationProvenance;
  const c = doc.correctedTranslation;
  // A document of unknown language is translated line by line, by whatever is installed.
  const translator =
    translatorFor(doc.language, props.installed) ?? (doc.language ? null : (props.installed[0] ?? null));
  const start = () => {
    setDraft(c?.text ?? doc.translation ?? '');
    setEditing(true);
  };
  return (
    <section aria-labelledby="tr-h" className="translation">
      <h2 id="tr-h">Translation</h2>
      {doc.translation ? (
        <>
          <p className="provenance">
            Machine translation: {p ? `${p.engine}${p.model ? `, ${p.model}` : ''}${p.version ? ` (${p.version.slice(0, 12)})` : ''}${p.translatedAt ? `, ${p.translatedAt}` : ''}` : 'provenance not recorded'}
          </p>
          {p && p.lines.length > 1 && <p className="provenance">Translated line by line: {describeRuns(p.lines)}.</p>}
          <p className="fulltext" dir="auto">
            <Marked text={doc.translation} entities={props.entities.filter((e) => e.side === 'TRANSLATION')} onEntity={props.onEntity} />
          </p>
        </>
      ) : (
        <Empty>No translation yet. An analyst's own translation can be kept below.</Empty>
      )}
      {doc.language !== 'en' && !jobId && translator && (
        <button
          type="button"
          disabled={job.fetching}
          onClick={() => translate({ force: doc.force, operation: doc.operation ?? null, id: doc.id })}
        >
          {doc.translation ? 'Translate again' : 'Translate'} with {modelName(translator.model)}
        </button>
      )}
      {doc.language !== 'en' && !jobId && !translator && <p className="muted">{installAdvice(doc.language)}</p>}
      {job.error && <ErrorState error={job.error} />}
      {jobId && <TranslationJob id={jobId} onDone={props.onTranslated} />}
      {c && (
        <div className="corrected">
          <h3>Corrected by {c.by}</h3>
          <p className="provenance">{formatWhen(c.at)} — kept beside the machine translation, which is not changed.</p>
          <p className="fulltext">{c.text}</p>
        </div>
      )}
      {editing ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await correct({ id: doc.id, text: draft });
            if (!r.error) setEditing(false);
          }}
        >
          <label>
            Your translation
            <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={8} required />
          </label>
          {result.error && <ErrorState error={result.error} />}
          <button type="submit" disabled={result.fetching || !draft.trim()}>
            Save correction
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" onClick={start}>
          {c ? 'Edit the correction' : 'Correct the translation'}
        </button>
      )}
    </section>
  );
}

/** A translation job for this document, followed live; the page reloads when it ends. */
function TranslationJob({ id, onDone }: { id: string; onDone: () => void }) {
  const [{ data, error }] = useSubscription({ query: JobSubscription, variables: { id } });
  const state = data ? getFragmentData(JobFragment, data.ingestJob).state : null;
  const told = useRef(false);
  useEffect(() => {
    if (state === 'DONE' && !told.current) {
      told.current = true;
      onDone();
    }
  }, [state, onDone]);
  if (error) return <ErrorState error={error} />;
  if (!data) return <Loading what="the translation job" />;
  return <JobView job={data.ingestJob} />;
}
