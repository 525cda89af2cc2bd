import { describe, expect, it } from 'vitest';
import { ageOn, entityHref, formatDay, formatWhen, identifierKey, relationshipHeading, splitKey } from './entity';

describe('entity keys', () => {
  it('send a document to its own page and every other node to the entity page', () => {
    expect(entityHref('Document:abc')).toBe('#/doc?id=abc');
    expect(entityHref('Phone:+447700900001')).toBe('#/entity?key=Phone%3A%2B447700900001');
    expect(splitKey('OnlineAccount:telegram:jay_99')).toEqual({ label: 'OnlineAccount', id: 'telegram:jay_99' });
  });

  it('give an identifier search matched a page only where the graph keeps it as a node', () => {
    expect(identifierKey('phone', '+447700900001')).toBe('Phone:+447700900001');
    expect(identifierKey('vehicle', 'YX19ABC')).toBe('Vehicle:YX19ABC');
    expect(identifierKey('iban', 'GB33BUKB20201555555555')).toBeNull();
  });

  it('name relationships in words, from the side of the page they are on', () => {
    expect(relationshipHeading('LIVES_AT', true)).toBe('Addresses');
    expect(relationshipHeading('USES', false)).toBe('Used by');
    expect(relationshipHeading('SOME_NEW_TYPE', true)).toBe('some new type');
  });
});

describe('dates', () => {
  it('are written one way: day first, UK time with its zone', () => {
    expect(formatWhen('1990-04-02')).toBe('02/04/1990');
    expect(formatWhen('2024-03-12T21:15:00Z')).toBe('12/03/2024, 21:15 GMT');
    expect(formatWhen('2024-07-12T21:15:00Z')).toBe('12/07/2024, 22:15 BST');
    expect(formatWhen(null)).toBe('');
    expect(formatDay('2024-07-12T23:30:00Z')).toBe('13/07/2024');
    expect(formatDay('2024-03-01')).toBe('01/03/2024');
  });

  it('give an age in whole years, a day short of a birthday still the year before', () => {
    expect(ageOn('2008-06-15', new Date('2024-06-14T12:00:00Z'))).toBe(15);
    expect(ageOn('2008-06-15', new Date('2024-06-15T12:00:00Z'))).toBe(16);
    expect(ageOn('unknown', new Date())).toBeNull();
  });
});
