// Entity keys (`Label:id`, e.g. `Person:P123`, `Phone:+447700900123`): where each one's
// page is, how its relationships read, and one date format for every page.
import { href } from '../router';

/** The page of a node: a document's own page, every other node's entity page. */
export function entityHref(key: string): string {
  const [label, ...rest] = key.split(':');
  if (label === 'Document') return href('/doc', { id: rest.join(':') });
  return href('/entity', { key });
}

/** The label and id of a key (`Phone:+44…` → `Phone`, `+44…`). */
export function splitKey(key: string): { label: string; id: string } {
  const at = key.indexOf(':');
  return at < 0 ? { label: '', id: key } : { label: key.slice(0, at), id: key.slice(at + 1) };
}

/** The graph key of an identifier search matched as (`phone`, `+4477…`), when it has a node. */
export function identifierKey(kind: string, value: string): string | null {
  const labels: Record<string, string> = { phone: 'Phone', email: 'Email', vehicle: 'Vehicle' };
  const label = labels[kind.toLowerCase()];
  return label ? `${label}:${value}` : null;
}

/**
 * A heading for the nodes linked by `type`, seen from the page's node: `outgoing` when the
 * relationship starts there (a person USES a phone), not when it ends there (used by).
 */
export function relationshipHeading(type: string, outgoing: boolean): string {
  const names: Record<string, [string, string]> = {
    USES: ['Phones, emails, accounts and vehicles used', 'Used by'],
    LIVES_AT: ['Addresses', 'Lived here'],
    INVOLVED_IN: ['Incidents', 'People involved'],
    WENT_MISSING: ['Missing episodes', 'Missing person'],
    ASSOCIATE_OF: ['Associates', 'Associates'],
    CALLED: ['Called', 'Called by'],
    MENTIONS: ['Mentions', 'Documents that mention it'],
    PART_OF: ['Operations', 'Members'],
    OCCURRED_AT: ['Where it happened', 'Incidents here'],
    MISSING_FROM: ['Missing from', 'Missing episodes from here'],
    FOUND_AT: ['Found at', 'Found here'],
    TAKEN_AT: ['Where it was taken', 'Photos taken here'],
    CONFIRMED_LINK: ['Cases it was confirmed in', 'Confirmed by review'],
  };
  const known = names[type];
  if (known) return known[outgoing ? 0 : 1];
  const words = type.toLowerCase().replace(/_/g, ' ');
  return outgoing ? words : `${words} (from)`;
}

/**
 * A date or time in one format everywhere: `12/03/2024` for a date, `12/03/2024, 21:15 GMT`
 * for a time (UK time, with its zone).
 */
export function formatWhen(at: string | null | undefined): string {
  if (!at) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(at)) {
    const [y, m, d] = at.split('-');
    return `${d}/${m}/${y}`;
  }
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) return at;
  return when.toLocaleString('en-GB', {
    timeZone: 'Europe/London',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

/** The day of a date or time, `12/03/2024` (UK time): for records kept by the day. */
export function formatDay(at: string | null | undefined): string {
  if (!at) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(at)) return formatWhen(at);
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) return at;
  return when.toLocaleDateString('en-GB', { timeZone: 'Europe/London', day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** Whole years between a `YYYY-MM-DD` birth date and `now`. */
export function ageOn(dob: string, now: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < mo || (now.getUTCMonth() + 1 === mo && now.getUTCDate() < d)) age -= 1;
  return age;
}
