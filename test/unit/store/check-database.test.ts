// checkDatabase says why the database cannot be used in terms of what to change: a PostgreSQL database
// that does not exist, or refuses the credentials, is not "not reachable". The driver's errors are the
// ones pg and Node raise (SQLSTATE codes, socket errors); with a real PostgreSQL configured
// (LATCHKEY_TEST_DATABASE_URL) the missing database is also asked for for real.
import { describe, expect, it } from '@jest/globals';
import { checkDatabase, openDatabase, type Database } from '../../../src/store/database.js';
import { UnavailableError } from '../../../src/errors.js';

/** The connection knex keeps for openDatabase's PostgreSQL (the URL, beside the timeouts). */
const CONNECTION = { connectionString: 'postgres://latchkey@db.example:5432/latchkey', statement_timeout: 5000 };

function failingDatabase(error: Error & { code?: string }): Database {
  return {
    raw: () => Promise.reject(error),
    client: { config: { client: 'pg', connection: CONNECTION } },
  } as unknown as Database;
}

async function failure(db: Database): Promise<UnavailableError> {
  try {
    await checkDatabase(db);
  } catch (error) {
    if (error instanceof UnavailableError) return error;
    throw error;
  }
  throw new Error('expected checkDatabase to fail');
}

const sqlError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('checkDatabase', () => {
  it('says a missing PostgreSQL database does not exist, and how to create it', async () => {
    const error = await failure(failingDatabase(sqlError('3D000', 'database "latchkey" does not exist')));
    expect(error.code).toBe('ERR_DATABASE_NOT_FOUND');
    expect(error.message).toBe(
      'PostgreSQL database "latchkey" at db.example:5432 does not exist: create it (createdb -O latchkey latchkey; ' +
        'docs/install.md) or point database.url or LATCHKEY_DATABASE_URL at an existing one',
    );
    expect(error.status).toBe(503);
  });

  it.each([
    ['28P01', 'password authentication failed for user "latchkey"'],
    ['28000', 'role "latchkey" does not exist'],
  ])('passes on why PostgreSQL refused the credentials (%s)', async (code, message) => {
    const error = await failure(failingDatabase(sqlError(code, message)));
    expect(error.code).toBe('ERR_DATABASE_AUTH');
    expect(error.message).toBe(
      `PostgreSQL database "latchkey" at db.example:5432 refused the connection: ${message}; fix the user or ` +
        'password in database.url or LATCHKEY_DATABASE_URL',
    );
  });

  it('keeps "not reachable" for a server that does not answer', async () => {
    const error = await failure(failingDatabase(sqlError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432')));
    expect(error.code).toBe('ERR_DATABASE_UNAVAILABLE');
    expect(error.message).toBe(
      'PostgreSQL database "latchkey" at db.example:5432 is not reachable (ECONNREFUSED): is PostgreSQL running ' +
        'there? Check the host and port in database.url or LATCHKEY_DATABASE_URL',
    );
  });

  const base = process.env.LATCHKEY_TEST_DATABASE_URL;
  (base ? it : it.skip)('names a database missing on the real PostgreSQL server', async () => {
    const url = new URL(base!);
    url.pathname = '/latchkey_no_such_database';
    const db = openDatabase({ url: url.toString(), dataDir: '/nonexistent', poolMax: 1 });
    try {
      const error = await failure(db);
      expect(error.code).toBe('ERR_DATABASE_NOT_FOUND');
      expect(error.message).toMatch(/^PostgreSQL database "latchkey_no_such_database" at .+ does not exist/);
    } finally {
      await db.destroy();
    }
  });
});
