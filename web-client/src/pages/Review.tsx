// Cross-case review: for one operation, the identifiers and names in its material that
// lead to persons outside it, best first, with the evidence on both sides; the analyst
// confirms (a relationship in the graph, with who and why) or rejects (not shown again)
// each one, giving a reason, and sees the decisions taken.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { MatchDecision } from '../gql/graphql';
import { Empty, ErrorState, Loading } from '../components/States';
import { entityHref, formatWhen } from '../lib/entity';
import { href, navigate } from '../router';

const ReviewQuery = graphql(`
  query CrossCaseReview($operation: String!) {
    crossLinks(operation: $operation, first: 100) {
      key kind caption documents documentCount otherDocuments score explanation suspect registeredOffender
      decision decidedBy decidedAt
      person { id name force operations via }
    }
    crossLinkDecisions(operation: $operation, first: 100) { key personId decision reason decidedBy decidedAt }
  }
`);

const Decide = graphql(`
  mutation ReviewCrossLink($operation: String!, $key: String!, $personId: String!, $decision: MatchDecision!, $reason: String!) {
    reviewCrossLink(operation: $operation, key: $key, personId: $personId, decision: $decision, reason: $reason) { decision }
  }
`);

export function ReviewPage({ params }: { params: URLSearchParams }) {
  const operation = params.get('op') ?? '';
  const [draft, setDraft] = useState(operation);
  return (
    <section className="review">
      <h1>Cross-case matches</h1>
      {operation && (
        <p>
          <a href={href('/case', { op: operation })}>Back to the case</a>
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/review', { op: draft.trim() });
        }}
      >
        <label>
          Operation <input value={draft} onChange={(e) => setDraft(e.target.value)} required />
        </label>{' '}
        <button type="submit">Review</button>
      </form>
      {operation ? <Matches operation={operation} /> : <Empty>Name an operation to review the links its material makes to other cases.</Empty>}
    </section>
  );
}

function Matches({ operation }: { operation: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ReviewQuery, variables: { operation } });
  const again = () => refetch({ requestPolicy: 'network-only' });
  if (error) return <ErrorState error={error} retry={again} />;
  if (!data) return fetching ? <Loading what="cross-case matches" /> : null;
  return (
    <>
      <h2>To review ({data.crossLinks.length})</h2>
      {data.crossLinks.length === 0 ? (
        <Empty>No identifier or name in this operation's material leads to a person outside it.</Empty>
      ) : (
        <ol className="match-list">
          {data.crossLinks.map((m) => (
            <li key={`${m.key}|${m.person.id}`} className={m.decision ? 'decided' : undefined}>
              <p>
                <a href={entityHref(m.key)}>{m.caption ?? m.key}</a> → <a href={entityHref(`Person:${m.person.id}`)}>{m.person.name}</a>{' '}
                <span className="muted">
                  {m.person.force}
                  {m.person.operations.length > 0 ? ` · ${m.person.operations.join(', ')}` : ' · in no operation'}
                </span>{' '}
                {m.suspect && <span className="flag">suspect</span>}
                {m.registeredOffender && <span className="flag">registered offender</span>}
                {m.decision && (
                  <span className="flag confirmed">
                    confirmed by {m.decidedBy} {m.decidedAt ? formatWhen(m.decidedAt) : ''}
                  </span>
                )}
              </p>
              <p className="why">{m.explanation}</p>
              <Evidence title={`In ${operation}`} ids={m.documents} total={m.documentCount} />
              <Evidence title="Elsewhere" ids={m.otherDocuments} />
              <DecisionForm operation={operation} matchKey={m.key} personId={m.person.id} confirmed={m.decision === 'CONFIRMED'} onDone={again} />
            </li>
          ))}
        </ol>
      )}
      <h2>Decisions ({data.crossLinkDecisions.length})</h2>
      {data.crossLinkDecisions.length === 0 ? (
        <Empty>None yet.</Empty>
      ) : (
        <DecisionList decisions={data.crossLinkDecisions} />
      )}
    </>
  );
}

function Evidence({ title, ids, total }: { title: string; ids: string[]; total?: number }) {
  if (ids.length === 0) return null;
  return (
    <p className="evidence">
      <span className="muted">
        {title}
        {total !== undefined && total > ids.length ? ` (${ids.length} of ${total})` : ''}:
      </span>{' '}
      {ids.map((id, i) => (
        <span key={id}>
          {i > 0 && ', '}
          <a href={href('/doc', { id })}>document {i + 1}</a>
        </span>
      ))}
    </p>
  );
}

function DecisionForm(props: { operation: string; matchKey: string; personId: string; confirmed: boolean; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [result, decide] = useMutation(Decide);
  const send = async (decision: MatchDecision) => {
    const r = await decide({ operation: props.operation, key: props.matchKey, personId: props.personId, decision, reason });
    if (!r.error) {
      setReason('');
      props.onDone();
    }
  };
  return (
    <div className="decide">
      <input aria-label="Reason for the decision" placeholder="why (kept and audited)" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
      {!props.confirmed && (
        <button type="button" disabled={!reason.trim() || result.fetching} onClick={() => send('CONFIRMED')}>
          Confirm
        </button>
      )}
      <button type="button" disabled={!reason.trim() || result.fetching} onClick={() => send('REJECTED')}>
        Reject
      </button>
      {result.error && <ErrorState error={result.error} />}
    </div>
  );
}

/** Decisions on cross-case matches: what, on whom, who decided, when and why. */
export function DecisionList({ decisions }: { decisions: { key: string; personId: string; decision: string; reason: string; decidedBy: string; decidedAt: string }[] }) {
  return (
    <ul className="decision-list">
      {decisions.map((d) => (
        <li key={`${d.key}|${d.personId}`}>
          <strong>{d.decision === 'CONFIRMED' ? 'Confirmed' : 'Rejected'}</strong>{' '}
          <a href={entityHref(d.key)}>{d.key}</a> → <a href={entityHref(`Person:${d.personId}`)}>{d.personId}</a>{' '}
          <span className="muted">
            {d.decidedBy} · {formatWhen(d.decidedAt)}
          </span>
          <p className="why" dir="auto">
            {d.reason}
          </p>
        </li>
      ))}
    </ul>
  );
}
