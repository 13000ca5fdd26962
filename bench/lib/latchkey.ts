// Latchkey as a benchmark target: the real server from the test helpers (TLS, ephemeral port, temporary
// data directory; PostgreSQL/Redis when LATCHKEY_TEST_DATABASE_URL/LATCHKEY_TEST_REDIS_URL are set).
import { HttpUser, expectCallback } from '../../test/helpers/http-user.js';
import { REDIRECT_URI } from '../../test/helpers/rp.js';
import { startServer, type TestServer } from '../../test/helpers/server.js';
import type { Target } from './target.js';

export const BENCH_USERNAME = 'bench';
/** The SCEP profile the scep-enroll scenario enrolls through. */
export const BENCH_SCEP_PROFILE = 'bench';

/**
 * Device-trust settings for measuring throughput: no per-IP limit in the way, and renewals due as soon as
 * a certificate is issued (the window is a policy decision, not a cost).
 */
const BENCH_DEVICE_TRUST = {
  renewal_fraction: '1/100000',
  rate_limits: {
    enroll_per_ip: { max: 1_000_000, window_seconds: 60 },
    renew_per_ip: { max: 1_000_000, window_seconds: 60 },
  },
};

/** A SCEP profile for the bench, and no per-IP limit in the way. */
const BENCH_SCEP = {
  profiles: { [BENCH_SCEP_PROFILE]: { platform: 'ios' } },
  rate_limits: { pki_operation_per_ip: { max: 1_000_000, window_seconds: 60 } },
};

/** Starts Latchkey with one password user, a code-flow client and a client-credentials client. */
export async function startLatchkey(): Promise<Target & { server: TestServer }> {
  const server = await startServer({ device_trust: BENCH_DEVICE_TRUST, scep: BENCH_SCEP });
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

/** The running Latchkey behind a target, for Latchkey-only scenarios (device certificates). */
export function latchkeyServer(target: Target): TestServer {
  const server = (target as Partial<{ server: TestServer }>).server;
  if (!server) throw new Error(`target ${target.name} is not a Latchkey server`);
  return server;
}
