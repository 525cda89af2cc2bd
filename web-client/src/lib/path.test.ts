import { describe, expect, it } from 'vitest';
import { orderPath } from './path';

describe('a shortest path', () => {
  it('reads from its start, each link whichever way it points', () => {
    const steps = orderPath('Person:A', [
      { from: 'Person:B', to: 'Phone:1', type: 'USES' },
      { from: 'Person:A', to: 'Phone:1', type: 'USES', firstSeen: '2024-01-01' },
    ]);
    expect(steps?.map((s) => s.key)).toEqual(['Person:A', 'Phone:1', 'Person:B']);
    expect(steps?.[0].link?.forward).toBe(true);
    expect(steps?.[1].link?.forward).toBe(false);
    expect(steps?.[2].link).toBeUndefined();
  });

  it('is refused when the links do not join up', () => {
    expect(orderPath('Person:A', [{ from: 'Person:B', to: 'Phone:1', type: 'USES' }])).toBeNull();
  });
});
