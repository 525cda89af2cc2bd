// What the page's abbreviations mean, in a fold-out beside the figures that use them.
import { TERMS } from '../lib/explain';

export function Terms({ names }: { names: string[] }) {
  return (
    <details className="terms">
      <summary>What {names.join(', ')} mean</summary>
      <dl>
        {names.map((n) => (
          <div key={n}>
            <dt>{n}</dt>
            <dd>{TERMS[n]}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
