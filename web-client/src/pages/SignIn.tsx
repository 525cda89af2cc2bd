// Sign-in: an API token (`toex token create`) or a JWT from the force's identity
// provider, and the purpose every request is audited with. Checked against the server
// before it is kept.
import { useState } from 'react';
import { DEFAULT_MARKING, type Session } from '../session';

export function SignIn({ onSignedIn, expired }: { onSignedIn: (s: Session) => void; expired: boolean }) {
  const [token, setToken] = useState('');
  const [purpose, setPurpose] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const s = { token: token.trim(), purpose: purpose.trim(), marking: DEFAULT_MARKING };
    if (!s.token || !s.purpose) {
      setError('Both a token and a purpose are needed.');
      return;
    }
    setBusy(true);
    try {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.token}`, 'X-Toex-Purpose': s.purpose },
        body: JSON.stringify({ query: 'query SignInCheck { health { status marking } }' }),
      });
      const body = (await res.json().catch(() => null)) as { data?: { health?: { marking?: string } }; errors?: { message: string }[] } | null;
      if (!res.ok || body?.errors?.length) {
        setError(body?.errors?.[0]?.message ?? `The server answered ${res.status}.`);
        return;
      }
      onSignedIn({ ...s, marking: body?.data?.health?.marking || DEFAULT_MARKING });
    } catch (err) {
      setError(`Cannot reach toex: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <h1>toex</h1>
      <p>Search, transcripts, the network, threat profiles and hot-spots.</p>
      {expired && (
        <p className="state error" role="alert">
          Your session ended (the token was refused). Sign in again.
        </p>
      )}
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          API token or JWT
          <input type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} name="token" required />
        </label>
        <label>
          Purpose (operation or case reference; recorded with every request)
          <input type="text" value={purpose} onChange={(e) => setPurpose(e.target.value)} name="purpose" maxLength={200} required />
        </label>
        {error && (
          <p className="state error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <p className="hint">
        An administrator creates tokens with <code>toex token create USER</code>; <code>scripts/run.sh</code> prints the demo users' tokens.
      </p>
    </main>
  );
}
