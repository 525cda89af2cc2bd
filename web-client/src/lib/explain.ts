// Analytical terms in words a supervisor can read aloud: Gi* classes, and the measures
// profiles and hot spots are built from.

/** A Gi* class in words: `HOT_99` → "Hot spot (99% confidence)". */
export function hotspotClass(c: string | null | undefined): string {
  if (!c || c === 'NOT_SIGNIFICANT') return 'Not significant';
  const [side, level] = c.split('_');
  return `${side === 'HOT' ? 'Hot spot' : 'Cold spot'} (${level}% confidence)`;
}

/** What each abbreviation on the profile and hot-spot pages means. */
export const TERMS: Record<string, string> = {
  RFGV: 'Recency, Frequency, Gravity and Victims: how recently and how often a person offended, how serious the harm was, and how many victims',
  CHI: 'Cambridge Crime Harm Index: the harm of an offence as the days in prison its starting-point sentence carries',
  'Gi*': 'Getis-Ord Gi*: whether a cell and its neighbours together hold more records than chance would give, and with what confidence',
  KDE: 'Kernel density estimate: records smoothed over the map, per square kilometre',
  PAI: 'Prediction Accuracy Index: the share of a later period\'s records that fell in the hot cells, divided by the share of the area they cover; above 1, the map points to where records came next better than chance',
  FDR: 'False discovery rate (Benjamini–Hochberg): with hundreds of cells tested, fewer cells are called hot by chance',
};

/** What each scored component of a profile measures, in words. */
const COMPONENTS: Record<string, string> = {
  recency: 'recency',
  frequency: 'frequency',
  gravity: 'harm (gravity)',
  victims: 'victims',
  episodes: 'missing episodes',
  high_risk: 'high-risk episodes',
  exploitation: 'links to adult suspects',
  shared_places: 'places shared with other missing children',
  linked_children: 'missing children reachable',
  linked_victims: 'victims reachable',
  nearby_places: 'places of concern near home',
  mappa_level: 'MAPPA level',
};

export function componentLabel(name: string): string {
  return COMPONENTS[name] ?? name.replace(/_/g, ' ');
}

interface Scored {
  rank: number;
  name?: string | null;
  personId: string;
  score: number;
  components: { name: string; contribution: number; detail: string }[];
}

/**
 * A profile row as a sentence a supervisor can read aloud: who, where they rank, and what
 * gave the score, largest share first; then what added nothing.
 */
export function profileSentence(row: Scored): string {
  const who = row.name ?? row.personId;
  const counted = row.components.filter((c) => c.contribution > 0).sort((a, b) => b.contribution - a.contribution);
  const nothing = row.components.filter((c) => c.contribution <= 0).map((c) => componentLabel(c.name));
  const parts = counted.map((c) => `${c.detail} (${componentLabel(c.name)}, ${c.contribution.toFixed(1)} points)`);
  let s = `${who} ranks ${row.rank} with ${row.score.toFixed(1)} points`;
  s += parts.length > 0 ? `: ${parts.join('; ')}.` : '.';
  if (nothing.length > 0) s += ` Nothing from ${nothing.join(', ')}.`;
  return s;
}
