// Translation helpers: which installed model would translate a language (from
// `health.translation`), what to say when none would, and a translation's per-line
// provenance as a sentence.

export interface Translatable {
  language: string;
  model: string;
}

export interface LineRun {
  first: number;
  last: number;
  language: string;
  model: string;
}

/** The model's name without its weights hash: `nllb-200@3fa2…` → `nllb-200`. */
export function modelName(id: string): string {
  const at = id.indexOf('@');
  return at < 0 ? id : id.slice(0, at);
}

/** The installed model for `language`, if any. */
export function translatorFor(language: string | null | undefined, installed: Translatable[]): Translatable | null {
  if (!language) return null;
  return installed.find((t) => t.language === language) ?? null;
}

/** What to install when no model has `language`. */
export function installAdvice(language: string | null | undefined): string {
  const l = language ?? 'this language';
  return (
    `No installed model translates ${l}. An administrator can install NLLB-200, which covers about 200 ` +
    `languages (toex models install PATH), or an OPUS-MT ${l}-en pair.`
  );
}

/** A run's language: `ar`, or `ar-Latn` (Arabizi, written in Arabic script for the model)
 *  as `ar, from Arabizi`. */
function runLanguage(language: string): string {
  return language === 'ar-Latn' ? 'ar, from Arabizi' : language;
}

/** `lines 1–3 (ar) by opus-mt-ar-en; line 5 (vi) by nllb-200`: lines counted from 1. */
export function describeRuns(runs: LineRun[]): string {
  return runs
    .map((r) => {
      const lines = r.first === r.last ? `line ${r.first + 1}` : `lines ${r.first + 1}–${r.last + 1}`;
      return `${lines} (${runLanguage(r.language)}) by ${modelName(r.model)}`;
    })
    .join('; ');
}
