// Constraint violations as the stores' own errors. A check-then-write (is the name free? then insert) lets
// parallel writers through the check together; the database's unique and foreign keys are what decide, and
// the loser must hear the same ConflictError or NotFoundError a sequential caller would, not a 500. The
// codes are PostgreSQL's SQLSTATEs and better-sqlite3's extended result codes.
const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const FOREIGN_KEY = new Set(['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY']);

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** True when `error` is a unique or primary key violation. */
export function isUniqueViolation(error: unknown): boolean {
  return UNIQUE.has(codeOf(error) as string);
}

/** True when `error` is a foreign key violation (the row referred to is gone). */
export function isForeignKeyViolation(error: unknown): boolean {
  return FOREIGN_KEY.has(codeOf(error) as string);
}

/** Awaits `write`; a unique violation becomes `conflict()` (which may look up which value clashed). */
export async function uniquely<T>(write: PromiseLike<T>, conflict: () => Error | Promise<Error>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw await conflict();
    throw error;
  }
}
