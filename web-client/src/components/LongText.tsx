// Text whose unbroken runs (a base64 blob, a pasted link) are shown cut to their start,
// each with a button that shows it whole, wrapped inside the page's width.
import { useState } from 'react';
import { LONG_RUN, longRuns } from '../lib/text';

export function LongText({ text }: { text: string }) {
  const pieces = longRuns(text);
  if (pieces.length === 1 && !pieces[0].long) return <>{text}</>;
  return (
    <>
      {pieces.map((p, i) => (p.long ? <LongRun key={i} text={p.text} /> : <span key={i}>{p.text}</span>))}
    </>
  );
}

function LongRun({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const chars = Array.from(text);
  if (open) return <span className="long-run open">{text}</span>;
  return (
    <span className="long-run">
      {chars.slice(0, LONG_RUN - 20).join('')}…{' '}
      <button type="button" className="link" onClick={() => setOpen(true)} title="Show the whole run of characters">
        +{(chars.length - (LONG_RUN - 20)).toLocaleString('en-GB')} characters
      </button>
    </span>
  );
}
