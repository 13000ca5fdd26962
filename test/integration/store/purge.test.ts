// The periodic purge deletes what has expired and keeps what lives: session proofs and (in SQL) rate-limit
// windows were once never deleted, so both tables grew with every sign-in and every attempt.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';

describe(`purging expired rows [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('deletes ended session proofs and rate-limit windows, and keeps live ones', async () => {
    const db = server.app.services.db;
    const now = Date.now();
    const proof = (uid: string, expiresAt: number) => ({
      session_uid: uid,
      account_id: 'purge-test',
      device_id: null,
      proofs: '[]',
      updated_at: now,
      expires_at: expiresAt,
    });
    await db('session_proofs').insert([proof('purge-ended', now - 1000), proof('purge-live', now + 60_000)]);
    await db('rate_limits').insert([
      { key: 'purge:ended', count: 3, reset_at: now - 1000 },
      { key: 'purge:live', count: 3, reset_at: now + 60_000 },
    ]);

    await server.app.purgeExpired();

    const uids = await db('session_proofs').where({ account_id: 'purge-test' }).pluck('session_uid');
    expect(uids).toEqual(['purge-live']);
    const keys = await db('rate_limits').whereIn('key', ['purge:ended', 'purge:live']).pluck('key');
    // With Redis the windows live there and expire by themselves; the SQL table is not Latchkey's then.
    expect(keys).toEqual(backendName().includes('redis') ? ['purge:ended', 'purge:live'] : ['purge:live']);
  });
});
