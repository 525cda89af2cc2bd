// Search: a query box, keyword / semantic / hybrid, facets and filters; each hit shows
// the original and its translation side by side with the matched segments.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { SaveSearch } from './Alerts';
import { graphql, getFragmentData, type FragmentType } from '../gql';
import type { SearchMode } from '../gql/graphql';
import { Empty, ErrorState, Highlighted, Loading } from '../components/States';
import { href, navigate } from '../router';
import { formatMs, segmentPlace } from '../lib/text';
import { entityHref, formatWhen, identifierKey } from '../lib/entity';

const SearchHitCardFragment = graphql(`
  fragment SearchHitCard_hit on SearchHit {
    id
    title
    score
    language
    force
    sourceType
    snippet
    translationSnippet
    correctedSnippet
    translationMatched
    ingestedAt
    matchedAs {
      kind
      value
    }
    segments {
      index
      line
      startMs
      speaker
      sent
      page
      cell
      highlighted
    }
  }
`);

const SearchQuery = graphql(`
  query Search($q: String!, $filter: SearchFilter!, $mode: SearchMode!, $sort: SearchSort!, $minSimilarity: Float, $after: String) {
    search(queryText: $q, filter: $filter, mode: $mode, sort: $sort, minSimilarity: $minSimilarity, first: 20, after: $after) {
      total
      minSimilarity
      pageInfo {
        hasNextPage
        endCursor
      }
      matchedAs {
        kind
        value
        asWritten
      }
      facets {
        languages { value count }
        forces { value count }
        operations { value count }
        sourceTypes { value count }
      }
      edges {
        cursor
        node {
          id
          ...SearchHitCard_hit
        }
      }
    }
  }
`);

type FacetName = 'forces' | 'languages' | 'operations' | 'sourceTypes';
const FACETS: [FacetName, string][] = [
  ['forces', 'Force'],
  ['languages', 'Language'],
  ['sourceTypes', 'Source'],
  ['operations', 'Operation'],
];
const MODES: [SearchMode, string][] = [
  ['KEYWORD', 'Keyword'],
  ['SEMANTIC', 'Semantic'],
  ['HYBRID', 'Hybrid'],
];

function list(params: URLSearchParams, key: string): string[] {
  return (params.get(key) ?? '').split(',').filter(Boolean);
}

export function SearchPage({ params }: { params: URLSearchParams }) {
  const q = params.get('q') ?? '';
  const mode = (params.get('mode') as SearchMode) || 'KEYWORD';
  const sort = params.get('sort') === 'NEWEST' ? 'NEWEST' : 'RELEVANCE';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const sim = params.get('sim') ?? '';
  const filters = Object.fromEntries(FACETS.map(([k]) => [k, list(params, k)])) as Record<FacetName, string[]>;
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const [after, setAfter] = useState<string | null>(null);
  useEffect(() => setAfter(null), [params.toString()]);

  const state: Record<string, string> = Object.fromEntries(params.entries());
  const go = (changes: Record<string, string | null>) => {
    const next = { ...state, ...changes };
    navigate('/search', next);
  };
  const toggle = (facet: FacetName, value: string) => {
    const cur = filters[facet];
    const next = cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value];
    go({ [facet]: next.join(',') });
  };

  return (
    <section aria-labelledby="search-h">
      <h1 id="search-h">Search</h1>
      <form
        className="searchbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ q: text.trim() });
        }}
      >
        <label className="grow">
          <span className="sr">Search text</span>
          <input
            type="search"
            name="q"
            dir="auto"
            placeholder='Words, "phrases", OR, -exclude, title:…, "near words"~2 — Arabic, Arabizi and English'
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      <div className="controls">
        <fieldset className="toggle">
          <legend>Mode</legend>
          {MODES.map(([m, label]) => (
            <label key={m}>
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => go({ mode: m })} />
              {label}
            </label>
          ))}
        </fieldset>
        <label>
          Sort
          <select value={sort} onChange={(e) => go({ sort: e.target.value })}>
            <option value="RELEVANCE">Best match</option>
            <option value="NEWEST">Newest</option>
          </select>
        </label>
        {mode !== 'KEYWORD' && (
          <label title="How close in meaning a passage must be to match: 0 returns everything, 1 only the same sentence">
            Least similarity
            <input type="number" min={0} max={1} step={0.05} placeholder="0.25" value={sim} onChange={(e) => go({ sim: e.target.value })} />
          </label>
        )}
        <label>
          Ingested from
          <input type="date" value={from} onChange={(e) => go({ from: e.target.value })} />
        </label>
        <label>
          to
          <input type="date" value={to} onChange={(e) => go({ to: e.target.value })} />
        </label>
      </div>
      {q && mode === 'KEYWORD' && <SaveThisSearch key={q} q={q} />}
      {q ? (
        <Results q={q} mode={mode} sort={sort} sim={sim} from={from} to={to} filters={filters} after={after} setAfter={setAfter} toggle={toggle} />
      ) : (
        <Empty>Type a search above. Originals and translations are searched together.</Empty>
      )}
    </section>
  );
}

/** Keeps the search: new material that matches it becomes an alert. */
function SaveThisSearch({ q }: { q: string }) {
  const [{ data, fetching, error }, save] = useMutation(SaveSearch);
  if (data?.saveSearch) {
    return (
      <p className="saved" role="status">
        Saved as “{data.saveSearch.name}”: new material that matches it will appear under <a href={href('/alerts')}>Alerts</a>.
      </p>
    );
  }
  return (
    <p className="save-search">
      <button type="button" disabled={fetching} onClick={() => save({ name: q.slice(0, 200), queryText: q })}>
        Save this search
      </button>{' '}
      <span className="muted">and be alerted when new material matches it</span>
      {error && <span className="error"> {error.graphQLErrors[0]?.message ?? error.message}</span>}
    </p>
  );
}

function Results(props: {
  q: string;
  mode: SearchMode;
  sort: 'RELEVANCE' | 'NEWEST';
  sim: string;
  from: string;
  to: string;
  filters: Record<FacetName, string[]>;
  after: string | null;
  setAfter: (c: string | null) => void;
  toggle: (f: FacetName, v: string) => void;
}) {
  const { q, mode, sort, from, to, filters, after } = props;
  const sim = Number(props.sim);
  const minSimilarity = props.sim && mode !== 'KEYWORD' && sim >= 0 && sim <= 1 ? sim : null;
  const filter = {
    ...filters,
    from: from ? new Date(`${from}T00:00:00Z`).toISOString() : null,
    to: to ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString() : null,
  };
  const [{ data, fetching, error }, refetch] = useQuery({
    query: SearchQuery,
    variables: { q, filter, mode, sort, minSimilarity, after },
  });
  if (error) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading what="results" />;
  const s = data.search;
  return (
    <div className="results-layout">
      <aside className="facets" aria-label="Filters">
        {FACETS.map(([name, label]) => (
          <fieldset key={name}>
            <legend>{label}</legend>
            {s.facets[name].length === 0 && <span className="muted">none</span>}
            {s.facets[name].map((f) => (
              <label key={f.value}>
                <input type="checkbox" checked={filters[name].includes(f.value)} onChange={() => props.toggle(name, f.value)} />
                {f.value} <span className="count">{f.count}</span>
              </label>
            ))}
            {filters[name]
              .filter((v) => !s.facets[name].some((f) => f.value === v))
              .map((v) => (
                <label key={v}>
                  <input type="checkbox" checked onChange={() => props.toggle(name, v)} />
                  {v} <span className="count">0</span>
                </label>
              ))}
          </fieldset>
        ))}
      </aside>
      <div className="hits">
        <p className="total" role="status">
          {s.total} {s.total === 1 ? 'document' : 'documents'}
          {s.minSimilarity != null && <> {mode === 'HYBRID' ? 'matching a word, or' : ''} at least {s.minSimilarity.toFixed(2)} similar in meaning</>}{' '}
          {fetching && <span className="muted">(updating…)</span>}
        </p>
        {s.matchedAs.length > 0 && (
          <p className="matched-as muted">
            {s.matchedAs.map((m, i) => (
              <span key={i}>
                {i > 0 && '; '}“{m.asWritten}” matched as {m.kind} <code>{m.value}</code>, however a document writes it
                {identifierKey(m.kind, m.value) && (
                  <>
                    {' '}
                    (<a href={entityHref(identifierKey(m.kind, m.value)!)}>its page: who uses it</a>)
                  </>
                )}
              </span>
            ))}
          </p>
        )}
        {s.edges.length === 0 && <Empty>No document matches. Try fewer words, other spellings or semantic mode.</Empty>}
        <ol className="hitlist">
          {s.edges.map((e) => (
            <li key={e.node.id}>
              <HitCard hit={e.node} mode={mode} />
            </li>
          ))}
        </ol>
        {s.pageInfo.hasNextPage && (
          <button type="button" onClick={() => props.setAfter(s.pageInfo.endCursor ?? null)}>
            Next page
          </button>
        )}
        {after && (
          <button type="button" onClick={() => props.setAfter(null)}>
            First page
          </button>
        )}
      </div>
    </div>
  );
}

function HitCard(props: { hit: FragmentType<typeof SearchHitCardFragment>; mode: SearchMode }) {
  const hit = getFragmentData(SearchHitCardFragment, props.hit);
  const first = hit.segments[0];
  return (
    <article className="hit" aria-label={hit.title}>
      <h2>
        <a href={href('/doc', { id: hit.id, seg: first?.index })}>{hit.title}</a>
      </h2>
      <div className="meta">
        {hit.force} · {hit.sourceType} · {hit.language ?? 'language unknown'}
        {hit.ingestedAt && <> · ingested {formatWhen(hit.ingestedAt)}</>}
        {props.mode === 'SEMANTIC' && <span className="why"> · similarity {hit.score.toFixed(2)}</span>}
        {props.mode === 'HYBRID' && <span className="why"> · fused rank score {hit.score.toFixed(3)}</span>}
        {hit.translationMatched && <> · matched the {hit.translationMatched === 'CORRECTED' ? 'corrected' : 'machine'} translation</>}
        {hit.matchedAs.map((m) => (
          <span key={`${m.kind}:${m.value}`} className="why">
            {' '}
            · holds {m.kind} <code>{m.value}</code>
          </span>
        ))}
      </div>
      {/* A translation column only where there is one, or one can be made (not English). */}
      {hit.correctedSnippet || hit.translationSnippet || (hit.language && hit.language !== 'en') ? (
        <div className="side-by-side">
          <div>
            <h3>Original</h3>
            <Highlighted html={hit.snippet} className="snippet" />
          </div>
          <div>
            <h3>Translation</h3>
            {hit.correctedSnippet ? (
              <Highlighted html={hit.correctedSnippet} className="snippet" />
            ) : hit.translationSnippet ? (
              <Highlighted html={hit.translationSnippet} className="snippet" />
            ) : (
              <span className="muted">
                Not translated yet: <a href={href('/doc', { id: hit.id })}>translate it on its page</a>
              </span>
            )}
          </div>
        </div>
      ) : (
        <Highlighted html={hit.snippet} className="snippet" />
      )}
      {hit.segments.length > 0 && (
        <ul className="seghits">
          {hit.segments.slice(0, 5).map((sg) => (
            <li key={sg.index}>
              <a href={href('/doc', { id: hit.id, seg: sg.index })}>
                {sg.startMs !== null && sg.startMs !== undefined ? formatMs(sg.startMs) : segmentPlace(sg) || `#${sg.index + 1}`}
              </a>{' '}
              {sg.speaker && <span className="speaker">{sg.speaker}:</span>} <Highlighted html={sg.highlighted} />
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
