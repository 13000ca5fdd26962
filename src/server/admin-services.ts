// Builds the administration services (src/admin/) over open stores, for the server (admin API, console)
// and the CLI alike.
import { recordChange, type AuditPort } from '../admin/context.js';
import type { AdminServices } from '../admin/index.js';
import { AuditAdmin } from '../admin/audit.js';
import { ClientAdmin } from '../admin/clients.js';
import { GroupAdmin } from '../admin/groups.js';
import { KeyAdmin } from '../admin/keys.js';
import { PasskeyAdmin } from '../admin/passkeys.js';
import { PolicyAdmin } from '../admin/policies.js';
import { UserAdmin } from '../admin/users.js';
import type { ClientMetadata } from '../store/clients.js';
import { PasskeyRepository } from '../store/passkeys.js';
import { ForbiddenError } from '../errors.js';
import type { ChallengeGuard } from '../trust/service/scep/http.js';
import type { Services } from './services.js';

export interface AdminPorts {
  /** oidc-provider's own client schema (the server's provider, or one built for validation by the CLI). */
  validateClientMetadata(metadata: ClientMetadata): Promise<void>;
}

/** The administration services over `s`. */
export function adminServices(s: Services, ports: AdminPorts): AdminServices {
  const now = () => Date.now();
  return {
    users: new UserAdmin({
      users: s.users,
      groups: s.groups,
      audit: s.audit,
      box: s.box,
      revokeSessions: (userId) => s.revokeSessions(userId),
      issuerHost: new URL(s.config.issuer).host,
      adminGroup: s.config.admin.group,
    }),
    groups: new GroupAdmin({ groups: s.groups, users: s.users, audit: s.audit, adminGroup: s.config.admin.group }),
    clients: new ClientAdmin({
      clients: s.clients,
      audit: s.audit,
      issuer: s.config.issuer,
      validateMetadata: ports.validateClientMetadata,
    }),
    passkeys: new PasskeyAdmin({ passkeys: new PasskeyRepository(s.db), users: s.users, audit: s.audit, now }),
    policies: new PolicyAdmin({
      policySets: s.policySets,
      nodes: s.nodes,
      audit: s.audit,
      pollSeconds: s.config.cluster.poll_seconds,
      now,
    }),
    audit: new AuditAdmin(s.audit),
    keys: new KeyAdmin({
      keys: s.keys,
      nodes: s.nodes,
      audit: s.audit,
      pollSeconds: s.config.cluster.poll_seconds,
      activationDelaySeconds: s.config.cluster.key_activation_delay_seconds,
      now,
    }),
  };
}

/**
 * The MDM challenge route's check (POST /admin/scep/challenges, static API tokens): a challenge for an
 * administrator needs latchkey.admins.manage, as on the admin API's own route; a refusal is audited as the
 * admin API audits its refusals.
 */
export function scepChallengeGuard(admin: AdminServices, audit: AuditPort): ChallengeGuard {
  return async (login, { scopes, ...caller }) => {
    try {
      await admin.users.changeableLogin(login, { ...caller, grants: scopes }, 'a SCEP challenge for');
    } catch (error) {
      if (error instanceof ForbiddenError) {
        const reasons = [error.code, 'POST /admin/scep/challenges', error.message];
        await recordChange(audit, caller, 'admin.api.refused', { reasons }, 'failure');
      }
      throw error;
    }
  };
}
