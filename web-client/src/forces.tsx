// Forces and relationship types the UI offers (the server checks both again).
export const FORCES: [string, string][] = [
  ['WYP', 'West Yorkshire Police'],
  ['GMP', 'Greater Manchester Police'],
  ['MPS', 'Metropolitan Police Service'],
  ['WMP', 'West Midlands Police'],
  ['MER', 'Merseyside Police'],
  ['SYP', 'South Yorkshire Police'],
  ['NYP', 'North Yorkshire Police'],
  ['HUM', 'Humberside Police'],
  ['LAN', 'Lancashire Constabulary'],
];

export const RELATIONSHIP_TYPES = [
  'USES', 'LIVES_AT', 'INVOLVED_IN', 'OCCURRED_AT', 'WENT_MISSING', 'MISSING_FROM',
  'FOUND_AT', 'CALLED', 'ASSOCIATE_OF', 'MENTIONS', 'TAKEN_AT', 'PART_OF', 'CONFIRMED_LINK',
];

/** A labelled choice of one force. */
export function ForceSelect({ value, onChange }: { value: string; onChange: (code: string) => void }) {
  return (
    <label>
      Force
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {FORCES.map(([code, name]) => (
          <option key={code} value={code}>
            {code} — {name}
          </option>
        ))}
      </select>
    </label>
  );
}
