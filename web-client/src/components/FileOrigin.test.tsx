import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { Contents } from './FileOrigin';

describe('Contents', () => {
  it('lists an email’s attachments, each linked to its own document', () => {
    render(
      <Contents
        email
        files={[
          { documentId: 'doc-1', title: 'statement.pdf', path: 'statement.pdf', sourceType: 'pdf' },
          { documentId: 'doc-2', title: 'directions.txt', path: 'directions.txt', sourceType: 'text' },
        ]}
      />,
    );
    expect(screen.getByRole('heading', { name: 'Attachments (2)' })).toBeTruthy();
    const link = screen.getByRole('link', { name: 'statement.pdf' });
    expect(link.getAttribute('href')).toBe('#/doc?id=doc-1');
  });
});
