// Text helpers: times, entity spans (server offsets count Unicode code points), the
// segment a player is in.

/** `m:ss` or `h:mm:ss` for milliseconds. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Where a segment is in its file: a spreadsheet cell, a page, when it was sent, a line. */
export function segmentPlace(s: {
  cell?: string | null;
  page?: number | null;
  sent?: string | null;
  line?: number | null;
}): string {
  if (s.cell) return s.cell;
  if (s.page != null) return s.sent ? `p. ${s.page} · ${s.sent}` : `p. ${s.page}`;
  if (s.sent) return s.sent;
  return s.line ? `line ${s.line}` : '';
}

export interface Span {
  start: number;
  end: number;
}
export interface Piece<T> {
  text: string;
  span?: T;
}

/** Splits `text` into plain pieces and the pieces covered by `spans` (code-point
 *  offsets, as the server counts characters); overlapping or out-of-range spans are
 *  dropped rather than breaking the text. */
export function splitBySpans<T extends Span>(text: string, spans: T[]): Piece<T>[] {
  const chars = Array.from(text);
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Piece<T>[] = [];
  let at = 0;
  for (const span of sorted) {
    if (span.start < at || span.end <= span.start || span.end > chars.length) continue;
    if (span.start > at) out.push({ text: chars.slice(at, span.start).join('') });
    out.push({ text: chars.slice(span.start, span.end).join(''), span });
    at = span.end;
  }
  if (at < chars.length) out.push({ text: chars.slice(at).join('') });
  return out;
}

export interface Timed {
  startMs?: number | null;
  endMs?: number | null;
}

/** Index of the segment playing at `ms`: the last one started at or before it and not
 *  yet ended (a segment without an end lasts until the next starts); -1 if none. */
export function activeSegment(segments: Timed[], ms: number): number {
  let found = -1;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i].startMs;
    if (s === null || s === undefined) continue;
    if (s > ms) break;
    const e = segments[i].endMs;
    if (e === null || e === undefined || ms < e) found = i;
    else found = -1;
  }
  return found;
}

/** A run of text with no space longer than this is shown cut, with a way to see it all. */
export const LONG_RUN = 80;

/** Splits `text` into ordinary pieces and unbroken runs (no whitespace) longer than `max`
 *  characters, so a base64 blob or a pasted URL never stretches a page. */
export function longRuns(text: string, max = LONG_RUN): { text: string; long: boolean }[] {
  const out: { text: string; long: boolean }[] = [];
  const re = new RegExp(`\\S{${max + 1},}`, 'gu');
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > at) out.push({ text: text.slice(at, m.index), long: false });
    out.push({ text: m[0], long: true });
    at = m.index! + m[0].length;
  }
  if (at < text.length || out.length === 0) out.push({ text: text.slice(at), long: false });
  return out;
}
