// Signed media URLs: each fetch of a document signs its recording afresh, and a player
// whose `src` changes reloads from the start, so a refetch (a finished translation,
// cache-and-network) must not swap a still-valid URL for an equivalent one.

/** Seconds of validity a kept URL must still have; below it the fresh one is taken. */
export const MEDIA_URL_MARGIN_SECONDS = 60;

/** The URL a player should keep: `previous` while it names the same recording and is
 *  valid for at least the margin past `nowSeconds`, otherwise `next`. */
export function keepMediaUrl(previous: string | null, next: string, nowSeconds: number): string {
  if (previous === null || previous === next) return next;
  const [prevPath, prevQuery = ''] = previous.split('?', 2);
  const [nextPath] = next.split('?', 2);
  if (prevPath !== nextPath) return next;
  const expires = Number(new URLSearchParams(prevQuery).get('expires'));
  return Number.isFinite(expires) && expires - nowSeconds >= MEDIA_URL_MARGIN_SECONDS ? previous : next;
}
