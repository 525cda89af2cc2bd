import { describe, expect, it } from 'vitest';
import { hotspotClass, profileSentence } from './explain';

describe('hot-spot classes', () => {
  it('read as words with their confidence', () => {
    expect(hotspotClass('HOT_99')).toBe('Hot spot (99% confidence)');
    expect(hotspotClass('COLD_90')).toBe('Cold spot (90% confidence)');
    expect(hotspotClass('NOT_SIGNIFICANT')).toBe('Not significant');
    expect(hotspotClass(null)).toBe('Not significant');
  });
});

describe('a profile row', () => {
  it('reads as a sentence, the largest share first, then what added nothing', () => {
    const s = profileSentence({
      rank: 2,
      name: 'Jay Marsden',
      personId: 'P1',
      score: 9,
      components: [
        { name: 'frequency', contribution: 3, detail: '3 incidents in 12 months' },
        { name: 'recency', contribution: 6, detail: '0.5 months since the last incident (2024-12-10)' },
        { name: 'victims', contribution: 0, detail: '1 victim' },
      ],
    });
    expect(s).toBe(
      'Jay Marsden ranks 2 with 9.0 points: 0.5 months since the last incident (2024-12-10) (recency, 6.0 points); ' +
        '3 incidents in 12 months (frequency, 3.0 points). Nothing from victims.',
    );
  });
});
