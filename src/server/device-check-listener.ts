// The device-check listener: HTTPS that asks every client for a certificate but lets the handshake finish
// without one (rejectUnauthorized: false), because Latchkey verifies the chain itself against its own CA.
// Same TLS certificate and key as the main listener.
import { constants } from 'node:crypto';
import https from 'node:https';
import type Koa from 'koa';
import { listen } from './listen.js';
import type { TlsMaterial } from './tls.js';

/**
 * Starts the listener on `port`/`host` (0 picks a free port). Session resumption is off: a resumed TLS
 * session carries no peer chain (PITFALLS.md), so every connection does a full handshake and presents
 * its certificate. Node keeps no server session cache unless asked to, and SSL_OP_NO_TICKET stops tickets.
 */
export async function listenDeviceCheck(app: Koa, tls: TlsMaterial, port: number, host: string): Promise<https.Server> {
  const server = https.createServer(
    {
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
      requestCert: true,
      rejectUnauthorized: false,
      secureOptions: constants.SSL_OP_NO_TICKET,
    },
    app.callback(),
  );
  return listen(server, port, host, 'device-check');
}
