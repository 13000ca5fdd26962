// The shape of a sign-in method. A method is a factory (one file in this folder) that takes the ports it
// needs and is registered in the composition root (server/app.ts). It owns its amr values (in the proofs it
// returns), its words, what its page needs from the CSP, and the check that a user has set it up. Adding a
// method needs no change to the flow or the router.
import type { ClientKind } from '../../store/clients.js';
import type { User } from '../../store/users.js';
import type { FormContext, PageOffer } from '../../views/pages.js';
import type { MethodDescriptor } from '../flow.js';
import type { Proof } from '../proofs.js';

/** Who is asking, for rate limits and the audit log. */
export interface RequestFacts {
  ip: string;
  userAgent: string | undefined;
  clientId: string;
}

/** One use of a method within one interaction. */
export interface MethodContext {
  /** The interaction's uid: challenges and hand-offs are bound to it. */
  uid: string;
  client: { id: string; name: string; kind: ClientKind };
  request: RequestFacts;
  /** The user identified earlier in this sign-in, if any, and what this sign-in has proven so far. */
  user?: User;
  proofs: readonly Proof[];
  /** Where this method's forms post, with their CSRF token. */
  form: FormContext;
  /** A username to pre-fill (the relying party's login_hint, or what was typed). */
  loginHint?: string;
  /** What other methods that could be used instead put on this method's page (see SignInMethod.offer). */
  offers?: readonly PageOffer[];
}

/** What a method is given to verify: a form post on our page, or a browser returning from a hand-off. */
export type MethodInput =
  { kind: 'form'; fields: Record<string, unknown> } | { kind: 'return'; query: Record<string, string | undefined> };

/** How a method starts: a page of ours, or a redirect (to the device-check listener, another origin). */
export type MethodStart =
  | { kind: 'page'; html: string; status?: number; retryAfter?: number; scripts?: boolean }
  | { kind: 'redirect'; location: string };

/** A failed attempt the person can try again (the page is shown again with `message`). */
export interface RetryableFailure {
  ok: false;
  settled: false;
  status: number;
  /** Stable code for logs and tests, e.g. ERR_BAD_CREDENTIALS. */
  code: string;
  message: string;
  retryAfter?: number;
  /** What the person typed, to show again. */
  username?: string;
}

/** The method ran to its end and proved nothing (no trusted device): not offered again in this sign-in. */
export interface SettledFailure {
  ok: false;
  settled: true;
  code: string;
  /** Why, in words the person can act on. */
  message: string;
}

export type Verification = { ok: true; proof: Proof } | RetryableFailure | SettledFailure;

export interface SignInMethod extends MethodDescriptor {
  /** True when `user` has set this method up (so it can be asked of them). */
  enrolled(user: User): Promise<boolean>;
  /** What the person sees, or where the browser goes, to use this method; `failure` redisplays an attempt. */
  start(ctx: MethodContext, failure?: RetryableFailure): Promise<MethodStart>;
  /** Parses, verifies and decides one attempt; writes its audit record. */
  verify(ctx: MethodContext, input: MethodInput): Promise<Verification>;
  /**
   * What this method puts on another method's page when either could be used at this step (the passkey's
   * button and autofill on the login page); its form posts to this method as usual. Optional.
   */
  offer?(ctx: MethodContext): Promise<PageOffer>;
  /**
   * False when nobody could use this method now (no device-bound passkey is registered at all), so the
   * flow does not offer it to people not yet identified. Optional: absent means in use.
   */
  inUse?(): Promise<boolean>;
}
