// The link chart as an analyst builds it: what is on it (nodes and links fetched so far),
// what they hid by hand, the date the time slider stands at, and the undo history. The
// drawing and every export take `shown`, so what is exported is exactly what is seen.

export interface ChartNode {
  key: string;
}

export interface ChartEdge {
  from: string;
  to: string;
  firstSeen?: string | null;
  lastSeen?: string | null;
}

export interface Chart<N extends ChartNode, E extends ChartEdge> {
  nodes: Map<string, N>;
  edges: Map<string, E>;
  /** Nodes the analyst hid (their links go with them). */
  hidden: Set<string>;
}

export interface View {
  /** Show only links first seen on or before this day (`YYYY-MM-DD`); null: every link. */
  upTo: string | null;
  /** Kept on the chart even when the time slider leaves them without a link (root, pins, path ends). */
  keep: Set<string>;
}

/** The nodes and links on screen: hidden nodes removed, links after the slider's day removed,
 * and (with the slider in use) nodes left with no link removed unless kept. */
export function shown<N extends ChartNode, E extends ChartEdge>(chart: Chart<N, E>, view: View): { nodes: Map<string, N>; edges: Map<string, E> } {
  const edges = new Map<string, E>();
  for (const [id, e] of chart.edges) {
    if (chart.hidden.has(e.from) || chart.hidden.has(e.to)) continue;
    if (!chart.nodes.has(e.from) || !chart.nodes.has(e.to)) continue;
    if (view.upTo && e.firstSeen && day(e.firstSeen) > view.upTo) continue;
    edges.set(id, e);
  }
  const linked = new Set<string>();
  for (const e of edges.values()) {
    linked.add(e.from);
    linked.add(e.to);
  }
  const nodes = new Map<string, N>();
  for (const [k, n] of chart.nodes) {
    if (chart.hidden.has(k)) continue;
    if (view.upTo && !linked.has(k) && !view.keep.has(k)) continue;
    nodes.set(k, n);
  }
  return { nodes, edges };
}

/** What collapsing `key` hides: its neighbours on screen whose only links go to `key`
 * (the leaves an expand brought in), never a kept node. */
export function leavesOf<E extends ChartEdge>(key: string, edges: Map<string, E>, keep: Set<string>): string[] {
  const neighbours = new Map<string, Set<string>>();
  for (const e of edges.values()) {
    if (e.from === e.to) continue;
    if (!neighbours.has(e.from)) neighbours.set(e.from, new Set());
    if (!neighbours.has(e.to)) neighbours.set(e.to, new Set());
    neighbours.get(e.from)!.add(e.to);
    neighbours.get(e.to)!.add(e.from);
  }
  const out: string[] = [];
  for (const n of neighbours.get(key) ?? []) {
    if (keep.has(n)) continue;
    const theirs = neighbours.get(n)!;
    if (theirs.size === 1 && theirs.has(key)) out.push(n);
  }
  return out.sort();
}

/** The first and last day any link on the chart was seen, for the time slider; null when no link is dated. */
export function dateRange<E extends ChartEdge>(edges: Iterable<E>): [string, string] | null {
  let lo: string | null = null;
  let hi: string | null = null;
  for (const e of edges) {
    for (const d of [e.firstSeen, e.lastSeen]) {
      if (!d) continue;
      const x = day(d);
      if (lo === null || x < lo) lo = x;
      if (hi === null || x > hi) hi = x;
    }
  }
  return lo && hi ? [lo, hi] : null;
}

/** Days from `from` to `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The day `n` days after `from`. */
export function addDays(from: string, n: number): string {
  return new Date(Date.parse(`${from}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

function day(at: string): string {
  return at.slice(0, 10);
}

/** A bounded undo history of chart states. */
export class History<S> {
  private past: S[] = [];
  constructor(private readonly limit = 50) {}

  /** Remember `state` as the one to go back to. */
  push(state: S): void {
    this.past.push(state);
    if (this.past.length > this.limit) this.past.shift();
  }

  /** The state before the last change, or null when there is none. */
  undo(): S | null {
    return this.past.pop() ?? null;
  }

  clear(): void {
    this.past = [];
  }

  get size(): number {
    return this.past.length;
  }
}
