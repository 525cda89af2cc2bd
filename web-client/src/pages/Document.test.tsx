// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Segments } from './Document';

afterEach(cleanup);
beforeEach(() => {
  Element.prototype.scrollIntoView = vi.fn();
});

const segments = [
  { text: 'Officer: This interview is being recorded.', startMs: 0, endMs: 4000 },
  { text: 'Witness: The flat is above the takeaway.', startMs: 4000, endMs: 9000 },
];
const later = Math.floor(Date.now() / 1000) + 3600;
const media = (id: string, expires: number) => ({
  url: `/media/${id}?expires=${expires}&signature=${'0'.repeat(63)}${expires % 10}`,
  contentType: 'audio/wav',
});

describe('transcript player', () => {
  it('a cue seeks and plays, and a refetch that signs the recording again does not reload it', () => {
    const play = vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
    const props = { segments, scanned: [], entities: [], initial: null, onEntity: () => undefined };
    const { rerender } = render(<Segments {...props} media={media('doc-a', later)} />);
    const player = screen.getByLabelText('Recording') as HTMLAudioElement;
    fireEvent.click(screen.getAllByRole('button', { name: '0:04' })[0]);
    expect(play).toHaveBeenCalledOnce();
    expect(player.currentTime).toBe(4);

    rerender(<Segments {...props} media={media('doc-a', later + 1)} />);
    expect(screen.getByLabelText('Recording')).toBe(player);
    expect(player.getAttribute('src')).toBe(media('doc-a', later).url);

    rerender(<Segments {...props} media={media('doc-b', later + 1)} />);
    expect(player.getAttribute('src')).toBe(media('doc-b', later + 1).url);
    play.mockRestore();
  });
});

describe('a scan beside its OCR text', () => {
  it('draws a box per OCR line over the page and highlights the line picked', () => {
    const lines = [
      { text: 'Dear Sir, I write about the white van', page: 1, region: { left: 100, top: 200, width: 900, height: 40 }, confidence: 93 },
      { text: 'It carried two girls on 12 March', page: 1, region: { left: 100, top: 260, width: 800, height: 40 }, confidence: 41 },
    ];
    const { container } = render(
      <Segments segments={lines} scanned={[]} entities={[]} initial={null} onEntity={() => undefined} media={{ url: `/media/doc-s?expires=${later}&signature=ab`, contentType: 'image/png' }} />,
    );
    expect(screen.queryByLabelText('Recording')).toBeNull();
    const img = screen.getByAltText(/the page OCR read/) as HTMLImageElement;
    Object.defineProperty(img, 'naturalWidth', { value: 2480 });
    Object.defineProperty(img, 'naturalHeight', { value: 3508 });
    fireEvent.load(img);
    const svg = container.querySelector('.page-frame svg')!;
    expect(svg.getAttribute('viewBox')).toBe('0 0 2480 3508');
    const rects = container.querySelectorAll('.page-frame rect');
    expect(rects).toHaveLength(2);
    fireEvent.click(screen.getByText('It carried two girls on 12 March'));
    expect(rects[1].getAttribute('class')).toBe('focused');
    expect(rects[0].getAttribute('class')).toBeNull();
    // The line OCR was unsure of is marked, with how sure it was.
    expect(screen.getByTitle('OCR 41% sure').className).toContain('uncertain');
  });
});

describe('a scanned PDF page beside its OCR text', () => {
  it('shows the page of the line picked, its boxes in the frame OCR read it in, and a link to the PDF there', () => {
    const lines = [
      { text: 'Exhibit DW/3: the letter found in the van.', page: 1 },
      { text: 'Dear Sir, I write about the white van', page: 2, region: { left: 100, top: 200, width: 900, height: 40 }, confidence: 93 },
      { text: 'It carried two girls on 12 March', page: 2, region: { left: 100, top: 260, width: 800, height: 40 }, confidence: 88 },
    ];
    const pdf = { url: `/media/doc-p?expires=${later}&signature=ab`, contentType: 'application/pdf' };
    const scanned = [{ page: 2, url: `/media/doc-p/page/2?expires=${later}&signature=cd`, width: 2481, height: 3508 }];
    const { container } = render(
      <Segments segments={lines} scanned={scanned} entities={[]} initial={null} onEntity={() => undefined} media={pdf} />,
    );
    // Nothing picked yet: the first scanned page, drawn in OCR's frame whatever its size.
    const img = screen.getByAltText(/page 2, as OCR read it/) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe(scanned[0].url);
    expect(container.querySelector('.page-frame svg')!.getAttribute('viewBox')).toBe('0 0 2481 3508');
    expect(container.querySelectorAll('.page-frame rect')).toHaveLength(2);
    fireEvent.click(screen.getByText('It carried two girls on 12 March'));
    expect(container.querySelectorAll('.page-frame rect')[1].getAttribute('class')).toBe('focused');
    expect(screen.getByRole('link', { name: /at page 2/ }).getAttribute('href')).toBe(`${pdf.url}#page=2`);
  });
});
