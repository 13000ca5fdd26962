// oidc-provider reads its signing keys once, when it is built. To follow key rotation without a restart,
// the host builds a new Provider with the new keys and hands every later request to it; requests already
// running finish on the old one. Sessions, codes and tokens live in the store, so nothing is lost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { ProviderKeys } from '../store/keys.js';

type Callback = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export class ProviderHost {
  #provider: Provider;
  #callback: Callback;
  #fingerprint: string;

  constructor(
    private readonly build: (jwks: { keys: ProviderKeys['keys'] }) => Provider,
    keys: ProviderKeys,
  ) {
    this.#provider = build({ keys: keys.keys });
    this.#callback = this.#provider.callback();
    this.#fingerprint = keys.fingerprint;
  }

  /** The provider in use now (look it up per request: it changes when keys change). */
  get provider(): Provider {
    return this.#provider;
  }

  /** Fingerprint of the keys the provider in use was built with. */
  get keysFingerprint(): string {
    return this.#fingerprint;
  }

  /** Builds a provider with `keys`; later requests go to it. */
  replaceKeys(keys: ProviderKeys): void {
    const provider = this.build({ keys: keys.keys });
    this.#callback = provider.callback();
    this.#provider = provider;
    this.#fingerprint = keys.fingerprint;
  }

  /** A request handler that always reaches the provider in use. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    return this.#callback(req, res);
  }
}
