// What a scenario needs from a system under test: where it is, how to reach it, which clients exist,
// how a person in a browser gets from an authorization URL back to the relying party, and the server
// process whose CPU time and memory are charged to it.
import { Agent, fetch as undiciFetch } from 'undici';
import { HttpUser } from '../../test/helpers/http-user.js';
import type { ServerProcess } from './server-process.js';

export type TargetName = 'latchkey' | 'baseline-adapter' | 'baseline-memory';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface Target {
  name: TargetName;
  issuer: string;
  /** The TLS certificate (PEM) every listener of the run serves. */
  ca: string;
  /** fetch over a keep-alive pool that trusts `ca`. */
  fetch: typeof globalThis.fetch;
  /** Confidential client (client_secret_basic, RS256 id_token) for the authorization-code flow. */
  codeClient: ClientCredentials;
  /** Confidential client allowed the client_credentials grant. */
  serviceClient: ClientCredentials;
  process: ServerProcess;
  /** A fresh browser with no cookies. */
  newUser(): HttpUser;
  /** Signs `user` in from an authorization URL; resolves with the relying party's callback URL. */
  signIn(user: HttpUser, authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

/** A fetch trusting `ca` (a PEM certificate) over one keep-alive pool, plus the agent to close afterwards. */
export function fetchTrusting(ca: string): { fetch: typeof globalThis.fetch; agent: Agent } {
  const agent = new Agent({ connect: { ca }, connections: 64 });
  const bound = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: bound, agent };
}

/** A browser of `target`: cookies, redirects within the IdP, forms. */
export function browserOf(target: Pick<Target, 'fetch' | 'issuer'>): HttpUser {
  return new HttpUser(target.fetch, target.issuer);
}
