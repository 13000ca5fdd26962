// The shape of a sign-in method. Adding a method (device certificate, passkey) is one new file in this
// folder implementing SignInMethod plus one line in index.ts; the flow and the router need no change.
import type { SealedBox } from '../../crypto/sealed-box.js';
import type { AuditLog } from '../../store/audit.js';
import type { UserRepository } from '../../store/users.js';
import type { MethodDescriptor } from '../flow.js';
import type { SignInThrottle } from '../throttle.js';
import type { FormContext } from '../../views/pages.js';

export interface MethodDeps {
  users: UserRepository;
  box: SealedBox;
  throttle: SignInThrottle;
  audit: AuditLog;
}

/** Who is asking, for rate limits and the audit log. */
export interface RequestFacts {
  ip: string;
  userAgent: string | undefined;
  clientId: string;
}

export interface Attempt {
  facts: RequestFacts;
  /** The user identified earlier in this interaction, if any. */
  userId?: string;
  /** The submitted form fields (untrusted). */
  body: Record<string, unknown>;
}

export type StepOutcome =
  { ok: true; userId: string } | { ok: false; status: number; message: string; retryAfter?: number };

export interface SignInMethod extends MethodDescriptor {
  /** The page asking for this method; `error` is the message of a failed attempt. */
  render(form: FormContext, view: { username?: string; error?: string }): string;
  /** Parses, verifies and decides one attempt; writes its audit record. */
  verify(deps: MethodDeps, attempt: Attempt): Promise<StepOutcome>;
}
