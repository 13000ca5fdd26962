// The triggers of migration 008 bump a cached table's revision on every change that matters, and not on
// a TOTP sign-in's single-use claim: that write would otherwise empty every node's user cache at each
// TOTP sign-in and, on PostgreSQL, queue the cluster's TOTP sign-ins on one revision row.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';

describe(`cache revisions [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const revision = async (name: string) =>
    Number((await server.app.services.db('cache_revisions').where({ name }).first('revision')).revision);

  it("bumps users on a change of the user, not on a TOTP step's claim", async () => {
    const { user } = await server.addUser('rev', { totp: true });
    const users = server.app.services.users;
    const before = await revision('users');
    expect(await users.claimTotpStep(user.id, 1_000)).toBe(true);
    expect(await users.claimTotpStep(user.id, 1_000)).toBe(false);
    expect(await revision('users')).toBe(before);
    await users.setDisabled(user.id, true);
    expect(await revision('users')).toBeGreaterThan(before);
  });
});
