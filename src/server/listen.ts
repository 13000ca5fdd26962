// Starting a listener: resolves once it listens, rejects with the bind error (port in use, no permission).
import type { Server } from 'node:net';

/** Listens on `port`/`host` (0 picks a free port). */
export function listen<T extends Server>(server: T, port: number, host: string): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
