import { describe, expect, it } from 'vitest';
import { describeRuns, installAdvice, modelName, translatorFor } from './translation';

const installed = [
  { language: 'ar', model: 'opus-mt-ar-en@0123456789ab' },
  { language: 'vi', model: 'nllb-200-distilled-600M@ba9876543210' },
];

describe('translation models', () => {
  it('are found by language, the hash left out of the name', () => {
    expect(translatorFor('vi', installed)?.model).toBe('nllb-200-distilled-600M@ba9876543210');
    expect(translatorFor('pl', installed)).toBeNull();
    expect(translatorFor(null, installed)).toBeNull();
    expect(modelName('opus-mt-ar-en@0123456789ab')).toBe('opus-mt-ar-en');
    expect(modelName('human')).toBe('human');
  });

  it('say what to install when none translates a language', () => {
    const advice = installAdvice('pl');
    expect(advice).toContain('toex models install');
    expect(advice).toContain('OPUS-MT pl-en');
  });

  it("read a translation's lines as a sentence, counted from one", () => {
    expect(
      describeRuns([
        { first: 0, last: 2, language: 'ar', model: 'opus-mt-ar-en@0123456789ab' },
        { first: 4, last: 4, language: 'vi', model: 'nllb-200@ba9876543210' },
      ]),
    ).toBe('lines 1–3 (ar) by opus-mt-ar-en; line 5 (vi) by nllb-200');
    expect(describeRuns([{ first: 1, last: 1, language: 'ar-Latn', model: 'opus-mt-ar-en@0123456789ab' }])).toBe(
      'line 2 (ar, from Arabizi) by opus-mt-ar-en',
    );
  });
});
