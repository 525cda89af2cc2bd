// CSV (RFC 4180) and file downloads for exports.

/** One CSV field: quoted when it holds a comma, quote or line break; formula-leading
 *  characters are prefixed with `'` so a spreadsheet never runs exported text. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV text with a header row, CRLF line ends. */
export function toCsv<T>(rows: T[], columns: [string, (row: T) => unknown][]): string {
  const lines = [columns.map(([name]) => csvField(name)).join(',')];
  for (const row of rows) lines.push(columns.map(([, get]) => csvField(get(row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Saves `data` as a file named `name` through the browser. */
export function download(name: string, data: string | Blob, type = 'text/csv;charset=utf-8'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
