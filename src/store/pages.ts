// Keyset pagination for administrative lists (users, devices, certificates): a page is read in the list's
// order after the last row of the previous one, so pages stay right while rows are added or removed, and
// reading page 100 costs what reading page 1 does (no OFFSET; each order has an index, migration 010). The
// cursor handed out is the list's name and the sort key of a page's last row, opaque to callers (base64url
// of JSON): they pass it back as it is, to the list that gave it.
import { InvalidInputError } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

/** A page request as the admin API and console take it. */
export interface PageRequest {
  /** Rows per page, 1 to MAX_PAGE_SIZE (default DEFAULT_PAGE_SIZE). */
  limit?: number;
  /** The nextCursor of the previous page. */
  after?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** The sort key of a row: its ordering column(s), ending with a unique one. */
export type SortKey = readonly [string] | readonly [number, string];

/** The lists that page; a cursor names its list, so one list's cursor is refused by another. */
export type PagedList = 'users' | 'devices' | 'certificates';

/** The page size `request` asks for (InvalidInputError ERR_USAGE_LIMIT when out of range). */
export function pageSize(request: PageRequest): number {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InvalidInputError('ERR_USAGE_LIMIT', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  return limit;
}

/**
 * The sort key inside `cursor`, which `list` must have handed out with a key of the shape of `example`
 * (InvalidInputError ERR_PAGE_CURSOR otherwise).
 */
export function decodeCursor<K extends SortKey>(cursor: string, list: PagedList, example: K): K {
  const refused = () =>
    new InvalidInputError('ERR_PAGE_CURSOR', `"${cursor.slice(0, 64)}" is not a cursor this list returned`);
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) throw refused();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  if (!Array.isArray(key) || key[0] !== list) throw refused();
  const parts: unknown[] = key.slice(1);
  const fits =
    parts.length === example.length &&
    parts.every((part, i) =>
      typeof example[i] === 'number'
        ? Number.isSafeInteger(part)
        : // No control characters: PostgreSQL refuses a NUL in a text parameter, and no key holds one.
          typeof part === 'string' && part.length <= 320 && !/[\u0000-\u001f\u007f]/.test(part),
    );
  if (!fits) throw refused();
  return parts as unknown as K;
}

export function encodeCursor(list: PagedList, key: SortKey): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

/**
 * The page from `rows`, which the query read with limit `size + 1` (one more than asked, to learn whether
 * another page follows without counting).
 */
export function pageOf<T>(rows: readonly T[], size: number, list: PagedList, keyOf: (row: T) => SortKey): Page<T> {
  const items = rows.slice(0, size);
  return rows.length > size ? { items, nextCursor: encodeCursor(list, keyOf(items[items.length - 1]!)) } : { items };
}
