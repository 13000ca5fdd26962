// Conditional access at the I/O edge: gathers the facts of a sign-in (client type, user and groups, IP,
// country, user agent, what was proven: methods and device), asks the pure engine for a decision, and writes
// every decision to the audit log. The interactions, the session check and `latchkey policy what-if` all go
// through here, so enforcement and what-if see the same facts the same way.
import {
  decide,
  isBuiltInClient,
  decisionToJson,
  parseUserAgent,
  type ClientType,
  type Decision,
  type Facts,
  type MethodName,
} from '../policies/index.js';
import type { AuditLog } from '../store/audit.js';
import type { ClientRepository } from '../store/clients.js';
import type { User, UserRepository } from '../store/users.js';
import { methodTimes, provenDevice, type Proof } from './proofs.js';
import type { CountryResolver } from './country.js';
import type { PolicySource } from './policy-source.js';

export interface SignInRequest {
  clientId: string;
  user?: User;
  /** Address policies see (after trusted proxies). */
  ip: string;
  /** The TCP peer (to decide whether proxy headers are believed). */
  peerIp: string;
  headers: Record<string, string | string[] | undefined>;
  userAgent?: string;
  /** What the sign-in (or session) has proven. */
  proofs: readonly Proof[];
  /** True when a device check ran and proved no device (it is not asked again). */
  deviceChecked?: boolean;
  /** Methods the user has set up, when a user is known (for highest_mfa). */
  enrolled?: readonly MethodName[];
}

export interface AccessDeps {
  policies: PolicySource;
  countries: CountryResolver;
  users: UserRepository;
  clients: ClientRepository;
  audit: AuditLog;
  /** The group whose members may use the admin console (config admin.group), for the console rule. */
  adminGroup: string;
}

export class AccessControl {
  constructor(private readonly deps: AccessDeps) {}

  async clientType(clientId: string): Promise<ClientType> {
    if (isBuiltInClient(clientId)) return 'first_party';
    const kind = (await this.deps.clients.find(clientId))?.kind;
    // Admin API clients have no interactive sign-in (client credentials only); counted as third_party if
    // one ever reached here, so no first-party default lets it through.
    return kind === undefined || kind === 'admin' ? 'third_party' : kind;
  }

  /** Builds the engine's facts for a sign-in request. */
  async facts(request: SignInRequest): Promise<Facts> {
    const { user } = request;
    const parsed = request.userAgent ? parseUserAgent(request.userAgent) : undefined;
    return {
      client: { id: request.clientId, type: await this.clientType(request.clientId) },
      user: user
        ? { id: user.id, username: user.username, groups: await this.deps.users.groupNames(user.id) }
        : undefined,
      ip: request.ip,
      country: this.deps.countries.resolve(request.ip, request.peerIp, request.headers),
      userAgent: request.userAgent,
      platform: parsed?.platform ?? undefined,
      osVersion: parsed?.osVersion ?? undefined,
      device: provenDevice(request.proofs),
      deviceChecked: request.deviceChecked,
      methods: methodTimes(request.proofs),
      enrolledMethods: user ? request.enrolled : undefined,
    };
  }

  /** The decision for `facts` at `now` (seconds) under the policy set in force (fails closed). */
  decide(facts: Facts, now: number): Decision {
    return decide(this.deps.policies.current(), facts, now, { adminGroup: this.deps.adminGroup });
  }

  /** Writes a decision and every policy's verdict (report-only included) to the audit log. */
  async record(decision: Decision, facts: Facts, extra: { userAgent?: string; username?: string } = {}): Promise<void> {
    const relevant = decision.verdicts.filter((v) => v.verdict !== 'not_matched' && v.verdict !== 'skipped');
    await this.deps.audit.record({
      event: 'policy.decision',
      outcome: decision.outcome === 'deny' ? 'deny' : 'allow',
      userId: facts.user?.id,
      username: extra.username ?? facts.user?.username,
      clientId: facts.client.id,
      ip: facts.ip,
      userAgent: extra.userAgent ?? facts.userAgent,
      deviceId: facts.device?.id,
      reasons: [
        decision.reason,
        ...relevant.map(
          (v) => `${v.policy} (${v.state}): ${v.verdict}${v.reasons.length ? ' — ' + v.reasons.join('; ') : ''}`,
        ),
      ],
      detail: { ...decisionToJson(decision), country: facts.country },
    });
  }
}
