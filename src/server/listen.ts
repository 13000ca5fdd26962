// Starting a listener: resolves once it listens, rejects with the bind error (port in use, no permission),
// translated into the setting to change when the listener is named.
import type { Server } from 'node:net';
import { listenFailure, type ListenerName } from './listen-error.js';

/** Listens on `port`/`host` (0 picks a free port). */
export function listen<T extends Server>(server: T, port: number, host: string, name?: ListenerName): Promise<T> {
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => reject(name ? listenFailure(error, name, port, host) : error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}
