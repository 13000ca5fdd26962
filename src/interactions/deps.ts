// What the sign-in wing's HTTP steps are given (built once in the composition root).
import type { Provider } from 'oidc-provider';
import type { CsrfTokens } from '../http/csrf.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit.js';
import type { ClientRepository } from '../store/clients.js';
import type { UserRepository } from '../store/users.js';
import type { AccessControl } from './access.js';
import type { SignInEvaluator } from './evaluate.js';
import type { FederatedSignIn } from './federation.js';
import type { SessionProofService } from './session-proofs.js';
import type { InteractionStates } from './state.js';

export interface InteractionDeps {
  /** The oidc-provider in use (looked up per request: it is rebuilt when signing keys change). */
  oidc: { readonly provider: Provider };
  /** The issuer, for errors sent to the relying party directly (RFC 9207 iss). */
  issuer: string;
  users: UserRepository;
  clients: ClientRepository;
  audit: AuditLog;
  csrf: CsrfTokens;
  states: InteractionStates;
  access: AccessControl;
  evaluator: SignInEvaluator;
  sessionProofs: SessionProofService;
  /** What factor clients (other IdPs) are set up to do, and whom their requests name. */
  federation: FederatedSignIn;
  /**
   * Origins of Latchkey's own that a form posted on a sign-in page may be redirected to: the device-check
   * listener, where a step after the password (a device certificate as the second factor) sends the
   * browser. Browsers apply the page's CSP form-action to every redirect after a post, so each page lists them.
   */
  formTargets: readonly string[];
  log: Logger;
}
