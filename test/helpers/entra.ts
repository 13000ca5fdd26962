// Microsoft Entra ID as it calls an external authentication method: its own RSA signing key and JWKS
// (served over HTTP on loopback, as Microsoft's keys URL would be), an id_token_hint it signs for a user
// (issued already expired, as Entra does), and the authorization request it POSTs: response_type
// id_token, response_mode form_post, scope openid, nonce, state, claims asking for acr and amr. The answer
// comes back as a form_post page; Entra verifies the id_token against Latchkey's JWKS.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { TestServer } from './server.js';

export const ENTRA_REDIRECT_URI = 'https://login.microsoftonline.com/common/federation/externalauthprovider';
export const ENTRA_AMR_VALUES = [
  'face',
  'fido',
  'fpt',
  'hwk',
  'iris',
  'otp',
  'pop',
  'retina',
  'sc',
  'sms',
  'swk',
  'tel',
  'vbm',
];

export interface HintClaims {
  sub?: string;
  oid?: string;
  preferred_username?: string;
  iss?: string;
  aud?: string;
  tid?: string;
  iat?: number;
}

export interface EntraRequest {
  state: string;
  nonce: string;
  body: URLSearchParams;
}

/** A form_post answer: where it posts and its fields. */
export interface FormPost {
  action: string;
  fields: Record<string, string>;
}

export class EmulatedEntra {
  readonly tenantId = randomUUID();
  private keys!: { privateKey: CryptoKey; jwk: JWK };
  private server!: http.Server;

  static async start(): Promise<EmulatedEntra> {
    const entra = new EmulatedEntra();
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    entra.keys = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'entra-key-1', use: 'sig', alg: 'RS256' } };
    entra.server = http.createServer((req, res) => {
      if (req.url !== `/${entra.tenantId}/discovery/v2.0/keys`) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [entra.keys.jwk] }));
    });
    await new Promise<void>((resolve) => entra.server.listen(0, '127.0.0.1', resolve));
    return entra;
  }

  /** The tenant's keys URL (what `--entra-jwks-uri` gets). */
  get jwksUri(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/${this.tenantId}/discovery/v2.0/keys`;
  }

  get issuer(): string {
    return `https://login.microsoftonline.com/${this.tenantId}/v2.0`;
  }

  /** An id_token_hint naming a user, signed with the tenant's key (or `key`), issued expired. */
  async hint(clientId: string, claims: HintClaims = {}, key: CryptoKey = this.keys.privateKey): Promise<string> {
    const iat = claims.iat ?? Math.floor(Date.now() / 1000) - 5;
    return new SignJWT({
      ver: '2.0',
      tid: claims.tid ?? this.tenantId,
      oid: claims.oid ?? randomUUID(),
      preferred_username: claims.preferred_username ?? 'alice@example.com',
      name: 'Alice',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'entra-key-1', typ: 'JWT' })
      .setIssuer(claims.iss ?? this.issuer)
      .setAudience(claims.aud ?? clientId)
      .setSubject(claims.sub ?? 'entra-pairwise-subject')
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + 1)
      .sign(key);
  }

  /** The authorization request Entra's browser POSTs to the external method. */
  request(clientId: string, hint: string | null, acr = 'possessionorinherence'): EntraRequest {
    const state = randomBytes(12).toString('base64url');
    const nonce = randomUUID();
    const body = new URLSearchParams({
      scope: 'openid',
      response_type: 'id_token',
      response_mode: 'form_post',
      client_id: clientId,
      redirect_uri: ENTRA_REDIRECT_URI,
      nonce,
      state,
      claims: JSON.stringify({
        id_token: {
          acr: { essential: true, values: [acr] },
          amr: { essential: true, values: ENTRA_AMR_VALUES },
        },
      }),
      'client-request-id': randomUUID(),
    });
    if (hint) body.set('id_token_hint', hint);
    return { state, nonce, body };
  }

  /** Entra's check of the answer: signature against Latchkey's JWKS (every key with x5c), iss, aud, nonce. */
  async verifyAnswer(server: TestServer, idToken: string, clientId: string, nonce: string): Promise<JWTPayload> {
    const discovery = (await (await server.fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
      response_types_supported: string[];
    };
    if (!discovery.response_types_supported.includes('id_token')) throw new Error('no id_token response type');
    const jwks = (await (await server.fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
    const withoutX5c = jwks.keys.filter((key) => !Array.isArray(key.x5c) || key.x5c.length === 0);
    if (withoutX5c.length) throw new Error(`JWKS keys without x5c: ${withoutX5c.map((k) => k.kid).join(', ')}`);
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
      issuer: server.issuer,
      audience: clientId,
      algorithms: ['RS256'],
    });
    if (payload.nonce !== nonce) throw new Error('nonce mismatch');
    return payload;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The form of a form_post page (oidc-provider's), with its hidden fields. */
export function formPostOf(html: string): FormPost {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`not a form_post page: ${html.slice(0, 400)}`);
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    fields[match[1]!] = decode(match[2]!);
  }
  return { action: decode(action), fields };
}

function decode(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
