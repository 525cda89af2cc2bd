// Alerts: what new material matched the analyst's saved searches and watches, newest
// first, each opening the document at the matching line; and the searches and watches
// themselves, to stop any of them. The badge in the bar counts the unread ones live.
import { useEffect } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { Empty, ErrorState, Loading } from '../components/States';
import { entityHref, formatWhen } from '../lib/entity';
import { href } from '../router';

const AlertsQuery = graphql(`
  query Alerts {
    alerts(first: 100) {
      unread
      items { id kind subject subjectId documentId title force operation segment why crossCase relationship related createdAt read }
    }
    savedSearches { id name queryText operation createdAt }
    watches { id key label operation createdAt }
  }
`);

const UnreadQuery = graphql(`
  query UnreadAlerts {
    alerts(unreadOnly: true, first: 1) { unread }
  }
`);

const AlertRaised = graphql(`
  subscription AlertRaised {
    alerts { id }
  }
`);

const MarkRead = graphql(`
  mutation MarkAlertsRead($ids: [String!]!) {
    markAlertsRead(ids: $ids)
  }
`);

const DeleteSearch = graphql(`
  mutation DeleteSavedSearch($id: String!) {
    deleteSavedSearch(id: $id)
  }
`);

const Unwatch = graphql(`
  mutation Unwatch($id: String!) {
    unwatch(id: $id)
  }
`);

export const SaveSearch = graphql(`
  mutation SaveSearch($name: String!, $queryText: String!) {
    saveSearch(name: $name, queryText: $queryText) { id name }
  }
`);

export const WatchIdentifier = graphql(`
  mutation WatchIdentifier($identifier: String!) {
    watch(identifier: $identifier) { id key label }
  }
`);

/** The unread count in the bar, refreshed whenever an alert arrives. */
export function AlertsBadge({ current }: { current: boolean }) {
  const [{ data }, refetch] = useQuery({ query: UnreadQuery });
  const [{ data: raised }] = useSubscription({ query: AlertRaised });
  useEffect(() => {
    if (raised) refetch({ requestPolicy: 'network-only' });
  }, [raised, refetch]);
  const unread = data?.alerts.unread ?? 0;
  return (
    <a href={href('/alerts')} aria-current={current ? 'page' : undefined}>
      Alerts
      {unread > 0 && (
        <span className="badge" aria-label={`${unread} unread`}>
          {unread}
        </span>
      )}
    </a>
  );
}

export function AlertsPage() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: AlertsQuery });
  const [{ data: raised }] = useSubscription({ query: AlertRaised });
  const [, markRead] = useMutation(MarkRead);
  const [, deleteSearch] = useMutation(DeleteSearch);
  const [, unwatch] = useMutation(Unwatch);
  useEffect(() => {
    if (raised) refetch({ requestPolicy: 'network-only' });
  }, [raised, refetch]);
  const again = () => refetch({ requestPolicy: 'network-only' });

  if (error) return <ErrorState error={error} retry={again} />;
  if (!data) return fetching ? <Loading what="alerts" /> : null;
  const { alerts, savedSearches, watches } = data;
  const unreadIds = alerts.items.filter((a) => !a.read).map((a) => a.id);

  return (
    <section className="alerts">
      <h1>Alerts</h1>
      <p className="hint">
        New material is checked against your saved searches and watched identifiers as it is ingested, transcribed or
        translated, and imports and re-linking against your watches (a new user of a watched phone, a watched person in a
        new incident or newly named in a stored document); each match is listed here within your forces and operations.
      </p>
      {unreadIds.length > 0 && (
        <button type="button" onClick={() => markRead({ ids: unreadIds }).then(again)}>
          Mark all {unreadIds.length} read
        </button>
      )}
      {alerts.items.length === 0 ? (
        <Empty>No alerts yet. Save a search on the Search page, or watch an identifier from its page.</Empty>
      ) : (
        <ol className="alert-list">
          {alerts.items.map((a) => (
            <li key={a.id} className={a.read ? 'read' : 'unread'}>
              {a.documentId || !a.related ? (
                <a
                  href={href('/doc', { id: a.documentId ?? undefined, seg: a.segment ?? undefined })}
                  onClick={() => !a.read && markRead({ ids: [a.id] })}
                >
                  {a.title}
                </a>
              ) : (
                <span>{a.title}</span>
              )}{' '}
              <span className="muted">
                {a.kind === 'WATCH' ? 'watched' : 'saved search'} “{a.subject}” · {a.force}
                {a.operation ? ` · ${a.operation}` : ''} · {formatWhen(a.createdAt)}
              </span>
              {a.crossCase && <span className="flag">another case</span>}
              <p className="why">{a.why}</p>
              {a.relationship && a.related && !a.documentId && (
                <p className="why">
                  {a.relationship}:{' '}
                  {a.related.includes('[') ? (
                    a.related
                  ) : (
                    <a href={entityHref(a.related)} onClick={() => !a.read && markRead({ ids: [a.id] })}>
                      {a.related}
                    </a>
                  )}
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
      <h2>Saved searches ({savedSearches.length})</h2>
      {savedSearches.length === 0 ? (
        <Empty>None. Run a search and choose “Save this search”.</Empty>
      ) : (
        <ul>
          {savedSearches.map((s) => (
            <li key={s.id}>
              <a href={href('/search', { q: s.queryText })}>{s.name}</a> <code>{s.queryText}</code>{' '}
              <button type="button" onClick={() => deleteSearch({ id: s.id }).then(again)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2>Watched ({watches.length})</h2>
      {watches.length === 0 ? (
        <Empty>None. Open a phone, email, vehicle or person and choose “Watch”.</Empty>
      ) : (
        <ul>
          {watches.map((w) => (
            <li key={w.id}>
              {w.label} <span className="muted">({w.key})</span>{' '}
              <button type="button" onClick={() => unwatch({ id: w.id }).then(again)}>
                Stop watching
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
