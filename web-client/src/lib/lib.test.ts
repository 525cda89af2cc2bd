import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv';
import { toGraphML } from './graphml';
import { gridOutline, projector, scaleBar } from './geo';
import { keepMediaUrl } from './media';
import { activeSegment, formatMs, segmentPlace, splitBySpans } from './text';

describe('csv', () => {
  it('quotes what needs quoting and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-3)).toBe('-3');
    expect(csvField(null)).toBe('');
    expect(toCsv([{ a: 1, b: 'محمد' }], [['a', (r) => r.a], ['name', (r) => r.b]])).toBe('a,name\r\n1,محمد\r\n');
  });
});

describe('graphml', () => {
  it('escapes ids and text and types attributes', () => {
    const g = toGraphML(
      [{ key: 'Person:<1>', label: 'Person', caption: 'A & B', degree: 2 }],
      [{ from: 'Person:<1>', to: 'Phone:+44', type: 'USES', weight: 1.5 }],
    );
    expect(g).toContain('<node id="Person:&lt;1&gt;">');
    expect(g).toContain('<data key="n_caption">A &amp; B</data>');
    expect(g).toContain('attr.name="degree" attr.type="int"');
    expect(g).toContain('<edge id="e0" source="Person:&lt;1&gt;" target="Phone:+44">');
    expect(new DOMParser().parseFromString(g, 'application/xml').querySelector('parsererror')).toBeNull();
  });
});

describe('geo', () => {
  it('projects about the centre in metres', () => {
    const p = projector([-1.55, 53.8]);
    const [x, y] = p([-1.55, 53.8 + 1 / 60]);
    expect(Math.abs(x)).toBeLessThan(1e-6);
    expect(y).toBeCloseTo(1853.2, 0); // one minute of latitude
    const [ex] = p([-1.55 + 0.01, 53.8]);
    expect(ex).toBeCloseTo(0.01 * (Math.PI / 180) * 6_371_008.8 * Math.cos((53.8 * Math.PI) / 180), 3);
  });
  it('outlines a set of cells, holes included', () => {
    // A 3×3 block with its centre missing: 12 outer sides and 4 around the hole.
    const ring: [number, number][] = [];
    for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) if (c !== 1 || r !== 1) ring.push([c, r]);
    const sides = gridOutline(ring);
    expect(sides).toHaveLength(16);
    expect(sides).toContainEqual([[1, 1], [2, 1]]);
    expect(gridOutline([[5, 5]])).toHaveLength(4);
  });
  it('scale bars are round', () => {
    expect(scaleBar(3700)).toEqual({ metres: 2000, label: '2 km' });
    expect(scaleBar(640)).toEqual({ metres: 500, label: '500 m' });
    expect(scaleBar(1000)).toEqual({ metres: 1000, label: '1 km' });
  });
});

describe('text', () => {
  it('places a segment by cell, page, time sent or line', () => {
    expect(segmentPlace({ cell: 'Calls!A7', line: 7 })).toBe('Calls!A7');
    expect(segmentPlace({ page: 3 })).toBe('p. 3');
    expect(segmentPlace({ page: 2, sent: '2024-03-12T21:15:00Z' })).toBe('p. 2 · 2024-03-12T21:15:00Z');
    expect(segmentPlace({ sent: '12/03/2024 21:15', line: 4 })).toBe('12/03/2024 21:15');
    expect(segmentPlace({ line: 9 })).toBe('line 9');
    expect(segmentPlace({})).toBe('');
  });

  it('formats times', () => {
    expect(formatMs(0)).toBe('0:00');
    expect(formatMs(65_432)).toBe('1:05');
    expect(formatMs(3_723_000)).toBe('1:02:03');
    expect(formatMs(null)).toBe('');
  });
  it('splits by code-point spans, skipping bad ones', () => {
    // The emoji is two UTF-16 units but one character on the server's side.
    const pieces = splitBySpans('😀 call 07700 900123 now', [
      { start: 7, end: 19 },
      { start: 8, end: 9 }, // overlaps: dropped
      { start: 30, end: 40 }, // out of range: dropped
    ]);
    expect(pieces.map((p) => p.text)).toEqual(['😀 call ', '07700 900123', ' now']);
    expect(pieces[1].span).toEqual({ start: 7, end: 19 });
  });
  it('finds the playing segment', () => {
    const segs = [{ startMs: 0, endMs: 1000 }, { startMs: 1500, endMs: 2000 }, { startMs: 2000, endMs: null }];
    expect(activeSegment(segs, 500)).toBe(0);
    expect(activeSegment(segs, 1200)).toBe(-1);
    expect(activeSegment(segs, 1999)).toBe(1);
    expect(activeSegment(segs, 9000)).toBe(2);
  });
});

describe('media', () => {
  const url = (id: string, expires: number) => `/media/${id}?expires=${expires}&signature=${expires.toString(16).padStart(64, '0')}`;
  it('keeps a valid URL for the same recording when it is signed again', () => {
    expect(keepMediaUrl(url('doc-a', 5000), url('doc-a', 5001), 1000)).toBe(url('doc-a', 5000));
  });
  it('takes the fresh URL for another recording, near expiry, or when nothing is kept', () => {
    expect(keepMediaUrl(url('doc-a', 5000), url('doc-b', 5001), 1000)).toBe(url('doc-b', 5001));
    expect(keepMediaUrl(url('doc-a', 1030), url('doc-a', 4600), 1000)).toBe(url('doc-a', 4600));
    expect(keepMediaUrl(null, url('doc-a', 4600), 1000)).toBe(url('doc-a', 4600));
    expect(keepMediaUrl('/media/doc-a', url('doc-a', 4600), 1000)).toBe(url('doc-a', 4600));
  });
});

describe('long unbroken runs', () => {
  it('are split out of ordinary text, which is kept whole', async () => {
    const { longRuns } = await import('./text');
    const blob = 'A'.repeat(200);
    expect(longRuns('plain words only')).toEqual([{ text: 'plain words only', long: false }]);
    expect(longRuns(`see ${blob} here`)).toEqual([
      { text: 'see ', long: false },
      { text: blob, long: true },
      { text: ' here', long: false },
    ]);
    expect(longRuns(blob)).toEqual([{ text: blob, long: true }]);
  });
});

describe('hot-spot map labels', () => {
  it('leave out a label that would overlap one placed before, until zoomed in', async () => {
    const { placed } = await import('../components/HotspotMap');
    const square = (x: number): [number, number][] => [[x, 0], [x + 4, 0], [x + 4, 4], [x, 4]];
    const cells = [{ id: 'a' }, { id: 'b' }];
    const labels = new Map([['a', 'Boar Lane'], ['b', 'Kirkgate']]);
    expect(placed(cells, [square(0), square(10)], labels, 1).map((l) => l.id)).toEqual(['a']);
    expect(placed(cells, [square(0), square(10)], labels, 8).map((l) => l.id)).toEqual(['a', 'b']);
  });
});
