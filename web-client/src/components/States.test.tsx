// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { Empty, ErrorState, Highlighted, Loading } from './States';

afterEach(cleanup);

describe('states', () => {
  it('an error names its code, the server message and what to do', () => {
    const retry = vi.fn();
    const error = new CombinedError({
      graphQLErrors: [new GraphQLError('the graph database is unavailable; try again shortly', { extensions: { code: 'GRAPH_UNAVAILABLE' } })],
    });
    render(<ErrorState error={error} retry={retry} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('GRAPH_UNAVAILABLE');
    expect(alert.textContent).toContain('the graph database is unavailable');
    expect(alert.textContent).toContain('search still works');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalledOnce();
  });

  it('a network failure is reported without a code', () => {
    render(<ErrorState error={new CombinedError({ networkError: new Error('Failed to fetch') })} />);
    expect(screen.getByRole('alert').textContent).toContain('Failed to fetch');
  });

  it('loading is announced and empty explains', () => {
    render(
      <>
        <Loading what="results" />
        <Empty>No document matches.</Empty>
      </>,
    );
    expect(screen.getByRole('status').textContent).toBe('Loading results…');
    expect(screen.getByText('No document matches.')).toBeTruthy();
  });

  it('highlighted snippets keep the server’s <b> marks as markup', () => {
    const { container } = render(<Highlighted html={'a &lt;script&gt; and <b>السيارة</b>'} />);
    expect(container.querySelector('b')?.textContent).toBe('السيارة');
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toBe('a <script> and السيارة');
  });
});
