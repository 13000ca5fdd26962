// The optional plain-HTTP SCEP listener (scep.plain_http): for SCEP clients that cannot be given
// Latchkey's TLS CA. It serves only the SCEP profiles; SCEP messages are signed and encrypted end to end.
import http from 'node:http';
import type Koa from 'koa';
import { listen } from './listen.js';

/** Starts the listener on `port`/`host` (0 picks a free port). */
export async function listenScepPlainHttp(app: Koa, port: number, host: string): Promise<http.Server> {
  return listen(http.createServer(app.callback()), port, host, 'scep');
}
