// The optional plain-HTTP SCEP listener (scep.plain_http): for SCEP clients that cannot be given
// Latchkey's TLS CA. It serves only the SCEP profiles; SCEP messages are signed and encrypted end to end.
import http from 'node:http';
import type Koa from 'koa';

/** Starts the listener on `port`/`host` (0 picks a free port). */
export async function listenScepPlainHttp(app: Koa, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
