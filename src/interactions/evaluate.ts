// One evaluation of a sign-in: gather the facts (from the request and what has been proven), ask the
// policies, and let the pure flow say what comes next. The interaction and the session check (oidc-provider's
// login prompt) both call this, so a session is judged exactly as a fresh sign-in would be.
import type { Context } from 'koa';
import type { MethodName } from '../policies/index.js';
import { requestedAcrValues } from '../oidc/acr.js';
import type { User } from '../store/users.js';
import type { AccessControl, SignInRequest } from './access.js';
import { nextStep, type FlowStep } from './flow.js';
import type { FactorSignIn } from './federation.js';
import type { SignInMethod } from './methods/types.js';
import type { Proof } from './proofs.js';
import type { Decision, Facts } from '../policies/index.js';

/** Where a sign-in stands: who, what they proved, what ran to no avail. */
export interface SignInProgress {
  clientId: string;
  user?: User;
  proofs: readonly Proof[];
  settled: Readonly<Partial<Record<MethodName, string>>>;
  /** The relying party's acr_values parameter, as sent. */
  acrValues?: unknown;
  /** The claims parameter, as sent (it may ask for acr values too). */
  claims?: unknown;
  /** For a factor client: what it is set up to do and whom its request names. */
  factor?: FactorSignIn;
}

/** What a request shows the policies: its address (after trusted proxies), TCP peer, headers and user agent. */
export type RequestView = Pick<SignInRequest, 'ip' | 'peerIp' | 'headers' | 'userAgent'>;

export interface Evaluation {
  facts: Facts;
  decision: Decision;
  step: FlowStep;
}

export class SignInEvaluator {
  constructor(
    private readonly access: AccessControl,
    readonly methods: readonly SignInMethod[],
  ) {}

  /** The method registered under `name`, if any. */
  method(name: string): SignInMethod | undefined {
    return this.methods.find((method) => method.name === name);
  }

  /** Methods `user` has set up. */
  async enrolled(user: User): Promise<MethodName[]> {
    const flags = await Promise.all(this.methods.map((method) => method.enrolled(user)));
    return this.methods.filter((_, i) => flags[i]).map((method) => method.name);
  }

  /** Evaluates the sign-in now, as `http` shows its request; throws UnavailableError when no policy set is in force. */
  async evaluate(http: Context, progress: SignInProgress): Promise<Evaluation> {
    return this.evaluateRequest(
      {
        ip: http.ip,
        peerIp: http.req.socket.remoteAddress ?? '',
        headers: http.req.headers,
        userAgent: http.get('user-agent') || undefined,
      },
      progress,
    );
  }

  /**
   * evaluate() for a request that is described rather than received (`latchkey policy what-if`); `adjust`
   * replaces facts the description sets outright (a country, a platform).
   */
  async evaluateRequest(
    request: RequestView,
    progress: SignInProgress,
    adjust: (facts: Facts) => Facts = (facts) => facts,
  ): Promise<Evaluation> {
    const enrolled = progress.user ? await this.enrolled(progress.user) : undefined;
    const facts = adjust(
      await this.access.facts({
        ...request,
        clientId: progress.clientId,
        user: progress.user,
        proofs: progress.proofs,
        deviceChecked: progress.settled.device_certificate !== undefined,
        enrolled,
      }),
    );
    const now = Math.floor(Date.now() / 1000);
    const decision = this.access.decide(facts, now);
    const unused = await Promise.all(this.methods.map(async (m) => (m.inUse ? !(await m.inUse()) : false)));
    const registry = this.methods.filter((_, i) => !unused[i]);
    const step = nextStep({
      decision,
      clientKind: facts.client.type,
      user: progress.user && enrolled ? { id: progress.user.id, enrolled } : undefined,
      proofs: progress.proofs,
      settled: progress.settled,
      acrValues: requestedAcrValues(progress.acrValues, progress.claims),
      registry,
      now,
      factor: progress.factor && {
        expected: progress.factor.expected,
        reportsUnmanaged: progress.factor.settings.unmanaged === 'device_context',
        sessionSeconds: progress.factor.settings.sessionSeconds,
        clientName: progress.factor.clientName,
      },
    });
    return { facts, decision, step };
  }
}
