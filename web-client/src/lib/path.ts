// A shortest path as steps to read out: each node, then the link to the next (its type,
// role and dates, whichever way it points), from the start to the end.

export interface PathEdge {
  from: string;
  to: string;
  type: string;
  role?: string | null;
  firstSeen?: string | null;
  lastSeen?: string | null;
}

export interface Step {
  /** The node this step stands on. */
  key: string;
  /** The link on to the next node; absent at the end. */
  link?: PathEdge & { forward: boolean };
}

/** The path's edges in order from `start`; `null` when they do not make one path. */
export function orderPath(start: string, edges: PathEdge[]): Step[] | null {
  const left = [...edges];
  const steps: Step[] = [];
  let at = start;
  while (left.length > 0) {
    const i = left.findIndex((e) => e.from === at || e.to === at);
    if (i < 0) return null;
    const [e] = left.splice(i, 1);
    const forward = e.from === at;
    steps.push({ key: at, link: { ...e, forward } });
    at = forward ? e.to : e.from;
  }
  steps.push({ key: at });
  return steps;
}
