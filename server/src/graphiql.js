// GraphiQL for toex, loaded by graphiql.html: a script file, so the page needs no inline
// script under the Content-Security-Policy.
const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws` });
// Every request needs a token and a stated purpose: fill them in the Headers tab.
const defaultHeaders = JSON.stringify({
  'Authorization': 'Bearer <your API token or JWT>',
  'X-Toex-Purpose': '<operation or case reference>'
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
