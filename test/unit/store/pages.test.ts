// Keyset page cursors: a cursor decodes only in the list that handed it out and only with the key shape
// that list uses; anything else (a foreign list's cursor, a forged one with a NUL, an unsafe integer, bad
// base64url) is ERR_PAGE_CURSOR, and the page size is checked.
import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor, pageOf, pageSize } from '../../../src/store/pages.js';

const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'accepted';
};

describe('page cursors', () => {
  it('round-trips the key of the list that made it', () => {
    expect(decodeCursor(encodeCursor('users', ['alice']), 'users', [''])).toEqual(['alice']);
    expect(decodeCursor(encodeCursor('devices', [1_700_000_000_000, 'd-1']), 'devices', [0, ''])).toEqual([
      1_700_000_000_000,
      'd-1',
    ]);
  });

  it('refuses a cursor of another list, of another shape, or forged', () => {
    const cases: Array<[string, 'users' | 'devices' | 'certificates', readonly [string] | readonly [number, string]]> =
      [
        [encodeCursor('certificates', [1, 'aa']), 'devices', [0, '']],
        [encodeCursor('users', ['alice']), 'devices', [0, '']],
        [forged(['users', 'al\u0000ice']), 'users', ['']],
        [forged(['devices', 2 ** 60, 'd']), 'devices', [0, '']],
        [forged(['devices', '1', 'd']), 'devices', [0, '']],
        [forged(['users', 'x'.repeat(321)]), 'users', ['']],
        [forged({ users: 'alice' }), 'users', ['']],
        ['not base64url!', 'users', ['']],
        ['bm90IGpzb24', 'users', ['']],
        ['', 'users', ['']],
      ];
    for (const [cursor, list, example] of cases) {
      expect({ cursor, code: refusal(() => decodeCursor(cursor, list, example)) }).toEqual({
        cursor,
        code: 'ERR_PAGE_CURSOR',
      });
    }
  });

  it('pages rows read with one more than asked, and checks the size', () => {
    expect(pageOf([1, 2, 3], 2, 'users', (n) => [String(n)])).toEqual({
      items: [1, 2],
      nextCursor: encodeCursor('users', ['2']),
    });
    expect(pageOf([1, 2], 2, 'users', (n) => [String(n)])).toEqual({ items: [1, 2] });
    expect(pageSize({})).toBe(100);
    for (const limit of [0, 501, 1.5]) expect(refusal(() => pageSize({ limit }))).toBe('ERR_USAGE_LIMIT');
  });
});
