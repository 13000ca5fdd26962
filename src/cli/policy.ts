// `latchkey policy check|what-if|reload`: validate a policy file, ask what the engine would decide for a
// sign-in described on the command line (through the same facts code the server uses), and make the
// published set in force on every node (reload).
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { countPolicies, publishPolicyFile, readPolicyFile, resolvePolicyFile } from '../interactions/policy-source.js';
import { describePolicyIssue, problemCount } from '../server/policy-issues.js';
import type { Services } from '../server/services.js';
import { liveWindowMs } from '../store/cluster.js';
import { InvalidInputError, LatchkeyError } from '../errors.js';
import {
  AUTH_METHODS,
  CLIENT_TYPES,
  DEVICE_TRUST_LEVELS,
  PLATFORMS,
  decisionToJson,
  normaliseCountryCode,
  renderDecisionText,
  summarisePolicySet,
  type ClientType,
  type DeviceTrust,
  type Facts,
  type MethodName,
  type Platform,
} from '../policies/index.js';
import { readConfig, withServices, type GlobalOptions } from './common.js';

interface WhatIfOptions {
  client: string;
  clientType?: string;
  user?: string;
  ip: string;
  country?: string;
  userAgent?: string;
  platform?: string;
  osVersion?: string;
  deviceTrust?: string;
  methods?: string;
  methodsAge: string;
  file?: string;
  json?: boolean;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError('ERR_USAGE_VALUE', `${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
  }
  return value as T;
}

/** Checks the what-if flags and turns them into overrides of the gathered facts. */
export function whatIfOverrides(options: WhatIfOptions, now: number) {
  if (!isIP(options.ip))
    throw new InvalidInputError('ERR_USAGE_IP', `--ip must be an IPv4 or IPv6 address, not "${options.ip}"`);
  const methodNames = options.methods
    ? options.methods
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : [];
  const methods = methodNames.map((m) => oneOf('--methods', m, AUTH_METHODS)!);
  const age = Number(options.methodsAge);
  if (!Number.isInteger(age) || age < 0)
    throw new InvalidInputError('ERR_USAGE_AGE', `--methods-age must be whole seconds, not "${options.methodsAge}"`);
  let country: string | null | undefined;
  if (options.country !== undefined) {
    country = options.country.toLowerCase() === 'unknown' ? null : normaliseCountryCode(options.country);
    if (country === undefined)
      throw new InvalidInputError(
        'ERR_USAGE_COUNTRY',
        `--country must be an ISO 3166 alpha-2 code or "unknown", not "${options.country}"`,
      );
  }
  return {
    clientType: oneOf<ClientType>('--client-type', options.clientType, CLIENT_TYPES),
    platform: oneOf<Platform>('--platform', options.platform, PLATFORMS),
    deviceTrust: oneOf<DeviceTrust>('--device-trust', options.deviceTrust, DEVICE_TRUST_LEVELS),
    country,
    methods: Object.fromEntries(methods.map((m) => [m, now - age])) as Partial<Record<MethodName, number>>,
  };
}

export function registerPolicyCommands(program: Command, globals: () => GlobalOptions): void {
  const policy = program.command('policy').description('conditional-access policies');

  policy
    .command('check [file]')
    .description('validate a policy file (default: the configured one) and summarise it')
    .action((file: string | undefined) => {
      const target = file ?? resolvePolicyFile(readConfig(globals()).policies.file);
      const result = readPolicyFile(target);
      if (!result.ok) {
        for (const issue of result.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
        throw new LatchkeyError('ERR_POLICY_FILE_INVALID', `${problemCount(result.issues)} in ${target}`);
      }
      process.stdout.write(`${target ?? 'built-in policies'}: OK\n${summarisePolicySet(result.policySet)}\n`);
    });

  policy
    .command('what-if')
    .description('show the decision and every policy verdict for a sign-in described by the flags')
    .requiredOption('--client <clientId>', 'client id (latchkey-account for the account page)')
    .option('--client-type <type>', `override the client's type: ${CLIENT_TYPES.join(', ')}`)
    .option('--user <username>', 'the user signing in (omit: before the user is known)')
    .requiredOption('--ip <address>', 'client IP address')
    .option('--country <code>', 'ISO country code or "unknown" (default: looked up from --ip)')
    .option('--user-agent <ua>', 'browser User-Agent (platform and OS version are parsed from it)')
    .option('--platform <platform>', `platform: ${PLATFORMS.join(', ')}`)
    .option('--os-version <version>', 'OS version, e.g. 14.4')
    .option('--device-trust <level>', `a proven device: ${DEVICE_TRUST_LEVELS.join(', ')} (omit: none proven)`)
    .option('--methods <list>', `methods already satisfied, comma separated: ${AUTH_METHODS.join(', ')}`)
    .option('--methods-age <seconds>', 'how long ago those methods were satisfied', '0')
    .option('--file <file>', 'evaluate this policy file instead of the configured one')
    .option('--json', 'print the decision as JSON')
    .action((options: WhatIfOptions) =>
      withServices(globals(), async (s) => {
        const now = Math.floor(Date.now() / 1000);
        const o = whatIfOverrides(options, now);
        // Loaded here: the country database and the access code are only for this command.
        const { openAccess } = await import('../interactions/open.js');
        const { access, initial } = await openAccess(s, { file: options.file });
        if (!initial.ok) {
          for (const issue of initial.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
          throw new LatchkeyError('ERR_POLICY_FILE_INVALID', `the policy file ${initial.source} is invalid`);
        }
        const user = options.user ? await s.users.require(options.user) : undefined;
        const gathered = await access.facts({
          clientId: options.client,
          user,
          ip: options.ip,
          peerIp: options.ip,
          headers: {},
          userAgent: options.userAgent,
          proofs: Object.entries(o.methods).map(([method, at]) => ({ method: method as MethodName, at, amr: [] })),
          enrolled: user
            ? [...(user.passwordHash ? ['password' as const] : []), ...(user.totpSecretSealed ? ['totp' as const] : [])]
            : undefined,
        });
        const facts: Facts = {
          ...gathered,
          client: { id: options.client, type: o.clientType ?? gathered.client.type },
          country: o.country === undefined ? gathered.country : o.country,
          platform: o.platform ?? gathered.platform,
          osVersion: options.osVersion ?? gathered.osVersion,
          device: o.deviceTrust
            ? { id: 'what-if', trust: o.deviceTrust, platform: o.platform, osVersion: options.osVersion }
            : undefined,
        };
        const decision = access.decide(facts, now);
        process.stdout.write(
          options.json
            ? JSON.stringify({ facts: { ...facts, user: facts.user?.username }, decision: decisionToJson(decision) }) +
                '\n'
            : renderDecisionText(decision) + '\n',
        );
      }),
    );

  policy
    .command('reload')
    .description(
      'validate the configured policy file and publish it: every node applies it within cluster.poll_seconds',
    )
    .action(() =>
      withServices(globals(), async (s) => {
        const file = resolvePolicyFile(s.config.policies.file);
        const result = await publishPolicyFile(file, s.policySets, 'cli');
        if (!result.ok) {
          for (const issue of result.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
          throw new LatchkeyError(
            'ERR_POLICY_FILE_INVALID',
            `not published: ${problemCount(result.issues)} in ${result.source}; every node keeps the set in force`,
          );
        }
        process.stdout.write(
          `${result.source}: ${countPolicies(result.policies)}, ${result.changed ? 'published as' : 'already in force as'} version ${result.version}\n`,
        );
        process.stdout.write(`${await waitForNodes(s, result.version)}\n`);
      }),
    );
}

/** Waits (up to three polls) until every live node applied `version`; says how many did. */
async function waitForNodes(s: Services, version: number): Promise<string> {
  const pollMs = s.config.cluster.poll_seconds * 1000;
  const deadline = Date.now() + 3 * pollMs + 1000;
  for (;;) {
    const nodes = await s.nodes.live(Date.now() - liveWindowMs(s.config.cluster.poll_seconds));
    const applied = nodes.filter((node) => (node.policyVersion ?? 0) >= version);
    if (nodes.length === 0) return 'no running node is registered: nodes apply it when they start';
    if (applied.length === nodes.length || Date.now() > deadline) {
      const missing = nodes.filter((node) => !applied.includes(node)).map((node) => `${node.hostname}/${node.pid}`);
      return `applied by ${applied.length} of ${nodes.length} live node(s)${missing.length ? `; not yet: ${missing.join(', ')}` : ''}`;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, 500)));
  }
}
