// What a scenario needs from a system under test: where it is, how to reach it, which clients exist,
// and how a person in a browser gets from an authorization URL back to the relying party.
import { Agent, fetch as undiciFetch } from 'undici';
import type { HttpUser } from '../../test/helpers/http-user.js';

export type TargetName = 'baseline' | 'latchkey';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface Target {
  name: TargetName;
  issuer: string;
  /** fetch that trusts the target's TLS certificate. */
  fetch: typeof globalThis.fetch;
  /** Confidential client (client_secret_basic, RS256 id_token) for the authorization-code flow. */
  codeClient: ClientCredentials;
  /** Confidential client allowed the client_credentials grant. */
  serviceClient: ClientCredentials;
  /** A fresh browser with no cookies. */
  newUser(): HttpUser;
  /** Signs `user` in from an authorization URL; resolves with the relying party's callback URL. */
  signIn(user: HttpUser, authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

/** A fetch trusting `ca` (a PEM certificate), plus the agent to close afterwards. */
export function fetchTrusting(ca: string): { fetch: typeof globalThis.fetch; agent: Agent } {
  const agent = new Agent({ connect: { ca } });
  const bound = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: bound, agent };
}
