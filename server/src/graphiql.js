// GraphiQL for toex, loaded by graphiql.html: a script file, so the page needs no inline
// script under the Content-Security-Policy.
const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws` });
// Every request needs a token and a stated purpose. Opened from the web client, this tab
// has the client's session (sessionStorage is copied to a tab its page opens): they are
// filled in; otherwise fill them in the Headers tab.
function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem('toex.session') || 'null');
    return s && typeof s.token === 'string' && typeof s.purpose === 'string' ? s : null;
  } catch {
    return null;
  }
}
const signedIn = session();
const defaultHeaders = JSON.stringify({
  'Authorization': `Bearer ${signedIn ? signedIn.token : '<your API token or JWT>'}`,
  'X-Toex-Purpose': signedIn ? signedIn.purpose : '<operation or case reference>'
}, null, 2);
const defaultQuery = `# toex GraphQL. Start with the health of this instance:
{
  health {
    status
    version
    neo4j { reachable error since }
    index { open documents }
    models { name task loaded }
  }
}
`;
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery, defaultHeaders, shouldPersistHeaders: false, defaultEditorToolsVisibility: 'headers' })
);
