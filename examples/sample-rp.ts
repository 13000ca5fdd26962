// A minimal relying party for trying Latchkey: open http://localhost:3000, sign in, and see the
// id_token's claims. It is openid-client (a certified RP library) over a few lines of node:http.
//   npm run sample-rp -- --client-id ID --client-secret SECRET
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';

const { values } = parseArgs({
  options: {
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    issuer: { type: 'string', default: process.env.LATCHKEY_ISSUER ?? 'https://localhost:8443' },
    port: { type: 'string', default: '3000' },
    ca: { type: 'string', default: path.join(process.env.LATCHKEY_DATA_DIR ?? 'data', 'dev-tls', 'cert.pem') },
  },
});
if (!values['client-id'] || !values['client-secret']) {
  process.stderr.write(
    'usage: npm run sample-rp -- --client-id ID --client-secret SECRET [--issuer URL] [--port 3000]\n',
  );
  process.exit(2);
}

// Trust Latchkey's development certificate (a production IdP has a publicly trusted one).
let ca: string | undefined;
try {
  ca = readFileSync(values.ca!, 'utf8');
} catch {
  ca = undefined;
}
const dispatcher = new Agent({ connect: ca ? { ca } : {} });
const fetchWithCa = ((url: string, init: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher })) as unknown as oidc.CustomFetch;

const redirectUri = `http://localhost:${values.port}/callback`;
const config = await oidc.discovery(new URL(values.issuer!), values['client-id'], values['client-secret'], undefined, {
  [oidc.customFetch]: fetchWithCa,
} as oidc.DiscoveryRequestOptions);
config[oidc.customFetch] = fetchWithCa;
const pending = new Map<string, { verifier: string; nonce: string }>();

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (body: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>Sample RP</title><body style="font-family:system-ui;max-width:46rem;margin:3rem auto">${body}</body></html>`;

http
  .createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', redirectUri);
    try {
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        pending.set(state, { verifier, nonce });
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid profile email groups',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        });
        res.writeHead(302, { location: target.toString() }).end();
        return;
      }
      if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        const saved = pending.get(state);
        pending.delete(state);
        if (url.searchParams.has('error') || !saved) {
          res
            .writeHead(400, { 'content-type': 'text/html' })
            .end(
              page(
                `<h1>Sign-in failed</h1><p>${escape(url.searchParams.get('error') ?? 'unknown state')}: ${escape(url.searchParams.get('error_description') ?? '')}</p><p><a href="/login">Try again</a></p>`,
              ),
            );
          return;
        }
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: saved.verifier,
          expectedState: state,
          expectedNonce: saved.nonce,
        });
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            page(
              `<h1>Signed in</h1><p>id_token claims:</p><pre>${escape(JSON.stringify(tokens.claims(), null, 2))}</pre><p><a href="/login">Sign in again</a></p>`,
            ),
          );
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          page(
            `<h1>Sample relying party</h1><p>Issuer: ${escape(values.issuer!)}</p><p><a href="/login">Sign in with Latchkey</a></p>`,
          ),
        );
    } catch (error) {
      res
        .writeHead(500, { 'content-type': 'text/html' })
        .end(page(`<h1>Error</h1><pre>${escape(String(error))}</pre>`));
    }
  })
  .listen(Number(values.port), '127.0.0.1', () =>
    process.stdout.write(`Sample RP on http://localhost:${values.port} (redirect URI ${redirectUri})\n`),
  );
