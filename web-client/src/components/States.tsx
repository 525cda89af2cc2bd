// Loading, error and empty states, the same on every page.
import type { CombinedError } from 'urql';
import { describeError } from '../client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorState({ error, retry }: { error: CombinedError; retry?: () => void }) {
  const { message, code, hint } = describeError(error);
  return (
    <div className="state error" role="alert">
      <strong>{code ?? 'Error'}</strong>: {message}
      {hint && <div className="hint">{hint}</div>}
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** HTML the server has escaped, with `<b>` around matches. */
export function Highlighted({ html, className }: { html: string; className?: string }) {
  return <span className={className} dir="auto" dangerouslySetInnerHTML={{ __html: html }} />;
}
