// Who is signed in: the bearer token and the stated purpose, kept for this browser tab
// only (sessionStorage), never in local storage or cookies.

export interface Session {
  token: string;
  purpose: string;
}

const KEY = 'toex.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.token === 'string' && typeof s.purpose === 'string' && s.token && s.purpose
      ? { token: s.token, purpose: s.purpose }
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
