// The two baselines as targets: bench/servers/baseline.ts in a process of its own, once on
// oidc-provider's in-memory adapter and once on Latchkey's adapter for the run's backend (its clients
// seeded into its own clients table exactly as Latchkey's are).
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log.js';
import { openServices } from '../../src/server/services.js';
import { PACKAGE_ROOT } from '../../src/config/load.js';
import { expectCallback } from '../../test/helpers/http-user.js';
import { REDIRECT_URI } from '../../test/helpers/rp.js';
import type { Deployment } from './deployment.js';
import { addClient, CLIENT_IDS } from './latchkey.js';
import { startServerProcess } from './server-process.js';
import { browserOf, fetchTrusting, type ClientCredentials, type Target } from './target.js';

export interface BaselineTls {
  cert: string;
  certFile: string;
  keyFile: string;
}

/** Starts the baseline of `store` on `deployment`, serving the run's certificate. */
export async function startBaseline(
  store: 'memory' | 'latchkey',
  deployment: Deployment,
  tls: BaselineTls,
): Promise<Target> {
  let codeClient: ClientCredentials;
  let serviceClient: ClientCredentials;
  const env: Record<string, string> = {
    ...deployment.env,
    BENCH_BASELINE_STORE: store,
    BENCH_TLS_CERT_FILE: tls.certFile,
    BENCH_TLS_KEY_FILE: tls.keyFile,
  };
  if (store === 'latchkey') {
    const services = await openServices(deployment.config(), createLogger('warn'), deployment.env, {
      deviceTrust: false,
    });
    try {
      codeClient = await addClient(services, CLIENT_IDS.code, ['authorization_code', 'refresh_token']);
      serviceClient = await addClient(services, CLIENT_IDS.service, ['client_credentials']);
    } finally {
      await services.close();
    }
  } else {
    codeClient = { clientId: CLIENT_IDS.code, clientSecret: randomBytes(32).toString('base64url') };
    serviceClient = { clientId: CLIENT_IDS.service, clientSecret: randomBytes(32).toString('base64url') };
    env.BENCH_CLIENTS = JSON.stringify([
      {
        client_id: codeClient.clientId,
        client_secret: codeClient.clientSecret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
      {
        client_id: serviceClient.clientId,
        client_secret: serviceClient.clientSecret,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ]);
  }
  const name = store === 'memory' ? 'baseline-memory' : 'baseline-adapter';
  const server = await startServerProcess({
    name,
    args: ['--import', 'tsx', path.join(PACKAGE_ROOT, 'bench', 'servers', 'baseline.ts')],
    env,
    logFile: deployment.logFile,
    readyUrl: `${deployment.issuer}/.well-known/openid-configuration`,
    ca: tls.cert,
  });
  const { fetch, agent } = fetchTrusting(tls.cert);
  return {
    name,
    issuer: deployment.issuer,
    ca: tls.cert,
    fetch,
    codeClient,
    serviceClient,
    process: server,
    newUser: () => browserOf({ fetch, issuer: deployment.issuer }),
    async signIn(user, authorizationUrl) {
      return expectCallback(await user.go(authorizationUrl));
    },
    async close() {
      await server.stop();
      await agent.close();
    },
  };
}
