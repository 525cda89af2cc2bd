import { describe, expect, it } from 'vitest';
import { addDays, dateRange, daysBetween, History, leavesOf, shown } from './chart';

const node = (key: string) => ({ key });
const edge = (from: string, to: string, firstSeen?: string) => ({ from, to, firstSeen });

function chart() {
  const nodes = new Map(['Person:A', 'Phone:1', 'Person:B', 'Location:X', 'Phone:2'].map((k) => [k, node(k)]));
  const edges = new Map([
    ['a1', edge('Person:A', 'Phone:1', '2023-01-05')],
    ['b1', edge('Person:B', 'Phone:1', '2024-06-01T10:00:00Z')],
    ['ax', edge('Person:A', 'Location:X')],
    ['a2', edge('Person:A', 'Phone:2', '2024-02-01')],
  ]);
  return { nodes, edges, hidden: new Set<string>() };
}

describe('the link chart', () => {
  it('shows everything before anything is hidden or the slider moves', () => {
    const s = shown(chart(), { upTo: null, keep: new Set() });
    expect(s.nodes.size).toBe(5);
    expect(s.edges.size).toBe(4);
  });

  it('drops a hidden node and every link it had', () => {
    const c = chart();
    c.hidden.add('Phone:1');
    const s = shown(c, { upTo: null, keep: new Set() });
    expect([...s.nodes.keys()]).not.toContain('Phone:1');
    expect([...s.edges.keys()].sort()).toEqual(['a2', 'ax']);
  });

  it('shows the network as it stood on the slider day: later links and the nodes they alone brought go, undated links stay', () => {
    const s = shown(chart(), { upTo: '2024-01-31', keep: new Set(['Person:A']) });
    expect([...s.edges.keys()].sort()).toEqual(['a1', 'ax']);
    expect([...s.nodes.keys()].sort()).toEqual(['Location:X', 'Person:A', 'Phone:1']);
  });

  it('keeps the root and pinned nodes on the slider day even with no link yet', () => {
    const s = shown(chart(), { upTo: '2000-01-01', keep: new Set(['Person:B']) });
    expect([...s.nodes.keys()].sort()).toEqual(['Location:X', 'Person:A', 'Person:B']);
  });

  it('collapses a node into its leaves only: a neighbour linked elsewhere stays, a kept one stays', () => {
    const { edges } = chart();
    expect(leavesOf('Person:A', edges, new Set())).toEqual(['Location:X', 'Phone:2']);
    expect(leavesOf('Person:A', edges, new Set(['Phone:2']))).toEqual(['Location:X']);
    expect(leavesOf('Phone:1', edges, new Set())).toEqual(['Person:B']);
  });

  it('spans the slider from the first to the last day a link was seen', () => {
    expect(dateRange(chart().edges.values())).toEqual(['2023-01-05', '2024-06-01']);
    expect(dateRange([edge('a', 'b')])).toBeNull();
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(addDays('2024-02-28', 2)).toBe('2024-03-01');
  });

  it('undoes changes last first, and forgets beyond its limit', () => {
    const h = new History<number>(2);
    h.push(1);
    h.push(2);
    h.push(3);
    expect(h.size).toBe(2);
    expect(h.undo()).toBe(3);
    expect(h.undo()).toBe(2);
    expect(h.undo()).toBeNull();
  });
});
