// The urql client: queries and mutations over POST /graphql with the session's
// headers, subscriptions over /graphql/ws (graphql-ws) with the same credentials in
// connection_init. A 401 signs the user out.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange, type CombinedError } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';
import { authHeaders, type Session } from './session';

export function makeClient(session: Session, onUnauthenticated: () => void): Client {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws`;
  const ws = createWsClient({
    url: wsUrl,
    lazy: true,
    connectionParams: { Authorization: `Bearer ${session.token}`, purpose: session.purpose },
  });
  return new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: authHeaders(session) }),
    exchanges: [
      mapExchange({
        onError(error) {
          if (error.response?.status === 401 || codeOf(error) === 'UNAUTHENTICATED') onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/** The first error's `extensions.code`, if any. */
export function codeOf(error: CombinedError | undefined): string | undefined {
  const first = error?.graphQLErrors?.[0];
  const code = first?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

const HINTS: Record<string, string> = {
  GRAPH_UNAVAILABLE: 'The graph database is unavailable; search still works. Try again shortly.',
  QUERY_TIMEOUT: 'The graph database is up, but this question took longer than allowed. Ask for less: a narrower date window, fewer link hops or a smaller page.',
  QUERY_TOO_LARGE: 'The graph database is up, but this question needs more memory than one request may use. Ask for less: a narrower date window, fewer link hops or a smaller page.',
  INDEX_UNAVAILABLE: 'The search index is unavailable.',
  OVERLOADED: 'The server is busy; try again shortly.',
  RATE_LIMITED: 'Too many requests; wait a moment.',
  TIMEOUT: 'The request took too long; narrow it and retry.',
  FORBIDDEN: 'Your role or forces do not allow this.',
  MODEL_UNAVAILABLE: 'The model this needs is not installed.',
};

/** What to tell the user about an error: the server's message, and a hint by code. */
export function describeError(error: CombinedError): { message: string; code?: string; hint?: string } {
  const code = codeOf(error);
  const message = error.graphQLErrors?.[0]?.message ?? error.networkError?.message ?? error.message;
  return { message, code, hint: code ? HINTS[code] : undefined };
}
