// Latchkey as a benchmark target: the real server from the test helpers (TLS, ephemeral port, temporary
// data directory; PostgreSQL/Redis when LATCHKEY_TEST_DATABASE_URL/LATCHKEY_TEST_REDIS_URL are set).
import { HttpUser, expectCallback } from '../../test/helpers/http-user.js';
import { REDIRECT_URI } from '../../test/helpers/rp.js';
import { startServer, type TestServer } from '../../test/helpers/server.js';
import type { Target } from './target.js';

export const BENCH_USERNAME = 'bench';

/** Starts Latchkey with one password user, a code-flow client and a client-credentials client. */
export async function startLatchkey(): Promise<Target & { server: TestServer }> {
  const server = await startServer();
  try {
    const { password } = await server.addUser(BENCH_USERNAME);
    const code = await server.addClient({ name: 'Bench RP', redirectUri: [REDIRECT_URI] });
    const service = await server.addClient({ name: 'Bench service', grantType: ['client_credentials'] });
    return {
      name: 'latchkey',
      server,
      issuer: server.issuer,
      fetch: server.fetch,
      codeClient: { clientId: code.clientId, clientSecret: code.clientSecret! },
      serviceClient: { clientId: service.clientId, clientSecret: service.clientSecret! },
      newUser: () => new HttpUser(server.fetch, server.issuer),
      async signIn(user, authorizationUrl) {
        return expectCallback(await user.signIn(authorizationUrl, { username: BENCH_USERNAME, password }));
      },
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
