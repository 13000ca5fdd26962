// A sign-in asks whether the user has a usable passkey for both passkey methods (any, device-bound) at
// the same moment: one read of the user's passkeys serves both, and nothing is kept after it (a passkey
// registered or revoked afterwards is seen by the next lookup).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PasskeyRepository } from '../../../src/store/passkeys.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';

describe(`passkey lookups [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reads the passkeys of a user once for lookups in flight together, and again afterwards', async () => {
    const { user } = await server.addUser('pia');
    const passkeys = new PasskeyRepository(server.app.services.db);
    const reads: string[] = [];
    const count = (query: { sql: string }) => {
      if (/from .passkeys. where .user_id./.test(query.sql)) reads.push(query.sql);
    };
    server.app.services.db.on('query', count);
    try {
      const now = Date.now();
      expect(await Promise.all([passkeys.hasUsable(user.id, now), passkeys.hasUsable(user.id, now)])).toEqual([
        false,
        false,
      ]);
      expect(reads).toHaveLength(1);
      expect(await passkeys.hasUsable(user.id, now)).toBe(false);
      expect(reads).toHaveLength(2);
    } finally {
      server.app.services.db.removeListener('query', count);
    }
  });
});
