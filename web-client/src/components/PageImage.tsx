// The original beside its text: a photo, scan, screenshot or scanned PDF page with a box
// over each line OCR read (the focused line's box highlighted; a box click picks its
// line), and a link to the original PDF at the focused page.
import { useState } from 'react';

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Line {
  text: string;
  page?: number | null;
  region?: Region | null;
  confidence?: number | null;
}

/** The pixel frame a scanned PDF page was read in (the image shown is smaller). */
export interface Frame {
  page: number;
  width: number;
  height: number;
}

/**
 * The page as an image, with its lines' boxes drawn over it: in the image's own pixels,
 * or, for a rendered PDF page, in the `frame` OCR read it in (only that page's lines).
 */
export function PageImage(props: {
  src: string;
  title: string;
  lines: Line[];
  focus: number | null;
  onPick?: (i: number) => void;
  frame?: Frame;
}) {
  const [natural, setSize] = useState<{ w: number; h: number } | null>(null);
  const { focus, frame } = props;
  const lines = frame ? props.lines.map((l) => (l.page === frame.page ? l : { ...l, region: null })) : props.lines;
  const size = frame ? { w: frame.width, h: frame.height } : natural;
  const boxed = lines.some((l) => l.region);
  return (
    <figure className="page-image">
      <div className="page-frame">
        <img
          src={props.src}
          alt={frame ? `${props.title}: page ${frame.page}, as OCR read it` : boxed ? `${props.title}: the page OCR read` : props.title}
          onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })}
        />
        {size && boxed && (
          <svg viewBox={`0 0 ${size.w} ${size.h}`} preserveAspectRatio="none" aria-hidden="true">
            {lines.map((l, i) =>
              l.region ? (
                <rect
                  key={i}
                  x={l.region.left}
                  y={l.region.top}
                  width={l.region.width}
                  height={l.region.height}
                  className={i === focus ? 'focused' : undefined}
                  onClick={() => props.onPick?.(i)}
                >
                  <title>{confidenceLabel(l.confidence)}</title>
                </rect>
              ) : null,
            )}
          </svg>
        )}
      </div>
      {boxed && <figcaption className="muted small">Boxes mark the lines OCR read; click one to find its text.</figcaption>}
    </figure>
  );
}

/** `OCR 87% sure`, or nothing for text that was not OCR'd. */
export function confidenceLabel(confidence?: number | null): string {
  return confidence == null ? '' : `OCR ${Math.round(confidence)}% sure`;
}

/** The original PDF, opened at a page (browsers' viewers honour `#page=`). */
export function PdfLink({ src, page }: { src: string; page: number | null }) {
  return (
    <p className="small">
      <a href={page ? `${src}#page=${page}` : src} target="_blank" rel="noreferrer">
        Open the original PDF{page ? ` at page ${page}` : ''}
      </a>
    </p>
  );
}
