// Assembles conditional access over open services: the policy source (loaded once here), the country
// resolver and the AccessControl that the server and `latchkey policy` share.
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit.js';
import type { ClientRepository } from '../store/clients.js';
import type { UserRepository } from '../store/users.js';
import { CountryResolver } from './country.js';
import { PolicySource, resolvePolicyFile, type ReloadResult } from './policy-source.js';
import { AccessControl } from './access.js';

export interface OpenedAccess {
  access: AccessControl;
  policies: PolicySource;
  countries: CountryResolver;
  /** Result of the initial load (a bad file leaves sign-ins failing closed until a good reload). */
  initial: ReloadResult;
}

/** What conditional access is built from (the server's and the CLI's open services). */
export interface AccessServices {
  config: Pick<LoadedConfig, 'policies' | 'server'>;
  log: Logger;
  users: UserRepository;
  clients: ClientRepository;
  audit: AuditLog;
}

export async function openAccess(services: AccessServices, policyFile?: string | null): Promise<OpenedAccess> {
  const { config, log } = services;
  const policies = new PolicySource(
    policyFile === undefined ? resolvePolicyFile(config.policies.file) : policyFile,
    log,
  );
  const initial = policies.reload();
  const countries = await CountryResolver.open(
    {
      database: config.policies.country_database,
      header: config.policies.country_header,
      trustedProxies: config.server.trusted_proxies,
    },
    log,
  );
  const access = new AccessControl({
    policies,
    countries,
    users: services.users,
    clients: services.clients,
    audit: services.audit,
  });
  return { access, policies, countries, initial };
}
