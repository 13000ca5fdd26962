// What every relying party and resource server fetches, often on start and on key rotation: the discovery
// document and the JWKS it names, one GET each.
import type { SharedScenario } from '../lib/scenario.js';

export const discoveryJwks: SharedScenario = {
  kind: 'shared',
  name: 'discovery-jwks',
  async prepare(target) {
    const get = async (url: string) => {
      const response = await target.fetch(url, { headers: { accept: 'application/json' } });
      if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    };
    return async () => {
      const discovery = await get(`${target.issuer}/.well-known/openid-configuration`);
      await get(String(discovery.jwks_uri));
    };
  },
};
