// One evaluation of a sign-in: gather the facts, ask the policies, and let the flow say what comes next.
// The interaction and the session check (oidc-provider's login prompt) both call this, so a session is
// judged exactly as a fresh sign-in would be.
import type { Context } from 'koa';
import { capabilitiesOf, type AccessControl, type SignInRequest } from './access.js';
import type { User } from '../store/users.js';
import { requestedAcr } from '../oidc/acr.js';
import type { Decision, Facts } from '../policies/index.js';
import { nextStep, type FlowStep } from './flow.js';
import { SIGN_IN_METHODS } from './methods/index.js';

/** The request part of a sign-in as an HTTP request shows it (the interaction and the session check). */
export function signInRequest(
  http: Context,
  clientId: string,
  user: User | undefined,
  methods: SignInRequest['methods'],
): SignInRequest {
  return {
    clientId,
    user,
    ip: http.ip,
    peerIp: http.req.socket.remoteAddress ?? '',
    headers: http.req.headers,
    userAgent: http.get('user-agent') || undefined,
    methods,
  };
}

export interface Evaluation {
  facts: Facts;
  decision: Decision;
  step: FlowStep;
}

/** Evaluates a sign-in request now; throws UnavailableError when no policy set is in force. */
export async function evaluateSignIn(
  access: AccessControl,
  request: SignInRequest,
  acrValues: string | undefined,
): Promise<Evaluation> {
  const facts = await access.facts(request);
  const now = Math.floor(Date.now() / 1000);
  const decision = access.decide(facts, now);
  const step = nextStep({
    decision,
    user: request.user ? capabilitiesOf(request.user) : undefined,
    methods: request.methods,
    requiredAcr: requestedAcr(acrValues),
    registry: SIGN_IN_METHODS,
    now,
  });
  return { facts, decision, step };
}
