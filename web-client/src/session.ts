// Who is signed in: the bearer token and the stated purpose, kept for this browser tab
// only (sessionStorage), never in local storage or cookies.
import { createContext } from 'react';

export interface Session {
  token: string;
  purpose: string;
  /** The deployment's protective marking (`health.marking`), shown on every page and export. */
  marking: string;
}

/** The marking shown until the server has said its own. */
export const DEFAULT_MARKING = 'OFFICIAL-SENSITIVE';

/** The signed-in deployment's marking, for whatever prints or exports. */
export const MarkingContext = createContext(DEFAULT_MARKING);

const KEY = 'toex.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.token === 'string' && typeof s.purpose === 'string' && s.token && s.purpose
      ? { token: s.token, purpose: s.purpose, marking: typeof s.marking === 'string' && s.marking ? s.marking : DEFAULT_MARKING }
      : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** The headers every GraphQL request carries. */
export function authHeaders(s: Session): Record<string, string> {
  return { Authorization: `Bearer ${s.token}`, 'X-Toex-Purpose': s.purpose };
}
