// The administration services as the CLI opens them: over the stores, with oidc-provider's client schema
// built for validation only (the CLI runs no provider), and the actor "cli" for the audit log.
import type { AdminOrigin, AdminServices } from '../admin/index.js';
import { adminServices } from '../server/admin-services.js';
import { withoutRuntimeWarning } from '../server/runtime-warning.js';
import type { Services } from '../server/services.js';
import type { ClientMetadata } from '../store/clients.js';
import { withServices, type GlobalOptions } from './common.js';

/** Every change made from the CLI is audited with this origin. */
export const CLI: AdminOrigin = { actor: 'cli' };

/** Runs `work` with the administration services over open stores. */
export function withAdmin<T>(
  options: GlobalOptions,
  work: (admin: AdminServices, services: Services) => Promise<T>,
): Promise<T> {
  return withServices(options, (s) =>
    work(adminServices(s, { validateClientMetadata: (metadata) => validateWithProvider(s, metadata) }), s),
  );
}

/** Validates metadata with oidc-provider's own client schema (throws ERR_CLIENT_METADATA). */
async function validateWithProvider(s: Services, metadata: ClientMetadata): Promise<void> {
  await s.keys.ensureSigningKeys();
  // Loaded here, not at the top: only these commands need oidc-provider (and its warning about Node 20
  // is for the server's log, not this command's output).
  const [{ createProvider }, { clientMetadataValidator }] = await withoutRuntimeWarning(() =>
    Promise.all([import('../oidc/provider.js'), import('../oidc/client-validation.js')]),
  );
  const provider = createProvider({
    config: s.config,
    store: s.oidcStore,
    users: s.users,
    jwks: { keys: (await s.keys.providerKeys()).keys },
    cookieKeys: ['validation-only'],
  });
  await clientMetadataValidator(provider)(metadata);
}
