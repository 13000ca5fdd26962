// The client credentials grant: one token request authenticated with client_secret_basic.
import * as oidc from 'openid-client';
import type { SharedScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const clientCredentials: SharedScenario = {
  kind: 'shared',
  name: 'client-credentials',
  async prepare(target) {
    const { config } = await relyingPartyOf(target, target.serviceClient);
    return async () => {
      await oidc.clientCredentialsGrant(config);
    };
  },
};
