// The shell: sign-in gate, navigation, and the page for the current route.
import { useCallback, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { makeClient } from './client';
import { href, useRoute } from './router';
import { loadSession, MarkingContext, saveSession, type Session } from './session';
import { SignIn } from './pages/SignIn';
import { SearchPage } from './pages/Search';
import { DocumentPage } from './pages/Document';
import { NetworkPage } from './pages/Network';
import { EntityPage } from './pages/Entity';
import { ProfilesPage } from './pages/Profiles';
import { HotspotsPage } from './pages/Hotspots';
import { IngestPage } from './pages/Ingest';
import { AlertsBadge, AlertsPage } from './pages/Alerts';
import { NotesPage } from './pages/Notes';
import { ReviewPage } from './pages/Review';
import { CasePage } from './pages/Case';

const PAGES: [string, string][] = [
  ['/search', 'Search'],
  ['/network', 'Network'],
  ['/profiles', 'Threat profiles'],
  ['/hotspots', 'Hot-spots'],
  ['/ingest', 'Ingest'],
  ['/notes', 'Notes'],
  ['/case', 'Cases'],
];

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState(false);
  const signOut = useCallback((why?: 'expired') => {
    saveSession(null);
    setExpired(why === 'expired');
    setSession(null);
  }, []);
  const client = useMemo(() => (session ? makeClient(session, () => signOut('expired')) : null), [session, signOut]);
  const route = useRoute();

  if (!session || !client) {
    return (
      <SignIn
        expired={expired}
        onSignedIn={(s) => {
          saveSession(s);
          setExpired(false);
          setSession(s);
        }}
      />
    );
  }
  const section = route.path === '/doc' ? '/search' : route.path === '/entity' ? '/network' : route.path === '/review' ? '/case' : route.path;
  return (
    <Provider value={client}>
      <MarkingContext.Provider value={session.marking}>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <p className="marking" aria-label="Protective marking">
        {session.marking}
      </p>
      <header className="top">
        <span className="brand">toex</span>
        <nav aria-label="Pages">
          {PAGES.map(([path, name]) => (
            <a key={path} href={href(path)} aria-current={section === path ? 'page' : undefined}>
              {name}
            </a>
          ))}
          <AlertsBadge current={section === '/alerts'} />
          {/* `opener`: the new tab gets a copy of this tab's session, so GraphiQL opens
              with the token and purpose filled in. */}
          <a href="/graphql" target="_blank" rel="opener">
            GraphiQL
          </a>
        </nav>
        <span className="who" title="Every request is audited with this purpose">
          Purpose: <strong>{session.purpose}</strong>
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={route.path} params={route.params} />
      </main>
      </MarkingContext.Provider>
    </Provider>
  );
}

function Page({ path, params }: { path: string; params: URLSearchParams }) {
  switch (path) {
    case '/search':
      return <SearchPage params={params} />;
    case '/doc':
      return <DocumentPage id={params.get('id') ?? ''} segment={params.get('seg')} />;
    case '/network':
      return <NetworkPage params={params} />;
    case '/entity':
      return <EntityPage nodeKey={params.get('key') ?? ''} />;
    case '/profiles':
      return <ProfilesPage params={params} />;
    case '/hotspots':
      return <HotspotsPage params={params} />;
    case '/ingest':
      return <IngestPage />;
    case '/alerts':
      return <AlertsPage />;
    case '/notes':
      return <NotesPage params={params} />;
    case '/review':
      return <ReviewPage params={params} />;
    case '/case':
      return <CasePage params={params} />;
    default:
      return (
        <p className="state empty">
          No such page. <a href={href('/search')}>Go to search</a>.
        </p>
      );
  }
}
