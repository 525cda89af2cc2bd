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
    const props = { segments, entities: [], initial: null, onEntity: () => undefined };
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
