// Assembles conditional access over open services: the policy source, the country resolver and the
// AccessControl that the server and `latchkey policy` share. A starting server first publishes its policy
// file when that content is new to the cluster, then puts the newest published set in force.
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit.js';
import type { ClientRepository } from '../store/clients.js';
import type { UserRepository } from '../store/users.js';
import { AccessControl } from './access.js';
import { CountryResolver } from './country.js';
import {
  PolicySource,
  publishPolicyFile,
  readPolicyFile,
  resolvePolicyFile,
  type ApplyResult,
  type PolicySetStore,
  type PublishResult,
} from './policy-source.js';

export interface OpenedAccess {
  access: AccessControl;
  policies: PolicySource;
  countries: CountryResolver;
  /** What was put in force at start (a bad set leaves sign-ins failing closed until a good one is published). */
  initial: ApplyResult;
  /** What the server did with its own policy file at start (undefined without a file, or for the CLI). */
  published?: PublishResult;
}

/** What conditional access is built from (the server's and the CLI's open services). */
export interface AccessServices {
  config: Pick<LoadedConfig, 'policies' | 'server' | 'admin'>;
  log: Logger;
  users: UserRepository;
  clients: ClientRepository;
  audit: AuditLog;
  policySets: PolicySetStore;
}

export interface OpenAccessOptions {
  /** A starting server: publish its policy file if the cluster never saw that content. */
  publishLocalFile?: boolean;
  /** Evaluate this file instead of the published set (`policy what-if --file`), without publishing it. */
  file?: string;
}

export async function openAccess(services: AccessServices, options: OpenAccessOptions = {}): Promise<OpenedAccess> {
  const { config, log } = services;
  const policies = new PolicySource(log);
  let initial: ApplyResult;
  let published: PublishResult | undefined;
  if (options.file !== undefined) {
    const read = readPolicyFile(options.file);
    if (read.ok) policies.use(read.policySet);
    initial = read.ok
      ? { ok: true, source: read.source, version: -1, policies: read.policySet.policies.length }
      : { ok: false, source: read.source, version: -1, issues: read.issues };
  } else {
    const file = resolvePolicyFile(config.policies.file);
    if (options.publishLocalFile && file !== null) {
      published = await publishPolicyFile(file, services.policySets, 'node start', { onlyIfNew: true });
      if (!published.ok) log.error({ source: file }, 'the policy file is invalid: it was not published');
    }
    const latest = await services.policySets.latest();
    // A configured file that does not load, with nothing published before, is not the built-in set: fail
    // closed until a good set is published.
    initial =
      !latest && published?.ok === false
        ? { ok: false, source: published.source, version: 0, issues: published.issues }
        : policies.apply(latest);
  }
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
    adminGroup: config.admin.group,
  });
  return { access, policies, countries, initial, published };
}
