// Client metadata checked by oidc-provider's own schema, so what administrators register is exactly what
// the provider will serve; its invalid_client_metadata becomes our ERR_CLIENT_METADATA.
import type { Provider } from 'oidc-provider';
import { InvalidInputError } from '../errors.js';
import type { ClientMetadata } from '../store/clients.js';

/** A validator over `provider`'s client schema. */
export function clientMetadataValidator(provider: Provider): (metadata: ClientMetadata) => Promise<void> {
  return async (metadata) => {
    try {
      await provider.Client.validate(metadata);
    } catch (error) {
      const e = error as { error?: string; error_description?: string; message: string };
      throw new InvalidInputError('ERR_CLIENT_METADATA', `invalid client: ${e.error_description ?? e.message}`);
    }
  };
}
