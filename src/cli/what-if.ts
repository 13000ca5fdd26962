// `latchkey policy what-if`: predicts what a sign-in described on the command line ends with, by running
// the sign-in's own evaluation and next-step logic with the user's real enrolled methods (see
// interactions/predict.ts): DENY with what the person reads and why, NEEDS with what is asked next, or ALLOW
// with the steps on the way. The client, user and groups named must exist (with a "did you mean").
import { isIP } from 'node:net';
import path from 'node:path';
import type { Command } from 'commander';
import { describePolicyIssue } from '../server/policy-issues.js';
import type { Services } from '../server/services.js';
import { InvalidInputError, LatchkeyError, NotFoundError } from '../errors.js';
import type { Prediction, PredictedStep } from '../interactions/predict.js';
import type { StepReason } from '../interactions/flow.js';
import type { User } from '../store/users.js';
import {
  ACCOUNT_CLIENT_ID,
  AUTH_METHODS,
  CLIENT_TYPES,
  DEVICE_TRUST_LEVELS,
  PLATFORMS,
  decisionToJson,
  formatRequirement,
  normaliseCountryCode,
  renderDecisionText,
  type ClientType,
  type DeviceTrust,
  type Facts,
  type MethodName,
  type Platform,
} from '../policies/index.js';
import { closestMatch } from '../policies/suggest.js';
import { collect, withServices, type GlobalOptions } from './common.js';

export interface WhatIfOptions {
  client: string;
  clientType?: string;
  user?: string;
  group?: string[];
  ip: string;
  country?: string;
  userAgent?: string;
  platform?: string;
  osVersion?: string;
  deviceTrust?: string;
  methods?: string;
  methodsAge: string;
  acrValues?: string;
  file?: string;
  json?: boolean;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    const guess = closestMatch(value, allowed);
    throw new InvalidInputError(
      'ERR_USAGE_VALUE',
      `${flag} must be one of ${allowed.join(', ')}, not "${value}"${guess ? ` (did you mean ${guess}?)` : ''}`,
    );
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
  if (methods.length > 0 && !options.user)
    throw new InvalidInputError('ERR_USAGE_METHODS', '--methods describes a session: name its user with --user');
  if (options.group?.length && !options.user)
    throw new InvalidInputError('ERR_USAGE_GROUP', '--group adds groups to a user: name the user with --user');
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

export function registerWhatIf(policy: Command, globals: () => GlobalOptions): void {
  policy
    .command('what-if')
    .description(
      'predict how a sign-in described by the flags ends (DENY, NEEDS or ALLOW with its steps), with every policy verdict',
    )
    .requiredOption('--client <clientId>', 'a registered client id (latchkey-account for the account page)')
    .option('--client-type <type>', `a client not registered yet, of this type: ${CLIENT_TYPES.join(', ')}`)
    .option('--user <username>', 'who signs in (omit: stop where the sign-in asks who it is)')
    .option('--group <name>', 'also count the user as a member of this group (repeatable)', collect)
    .requiredOption('--ip <address>', 'client IP address')
    .option('--country <code>', 'ISO country code or "unknown" (default: looked up from --ip)')
    .option('--user-agent <ua>', 'browser User-Agent (platform and OS version are parsed from it)')
    .option('--platform <platform>', `platform: ${PLATFORMS.join(', ')}`)
    .option('--os-version <version>', 'OS version, e.g. 14.4')
    .option(
      '--device-trust <level>',
      `what the device check finds: ${DEVICE_TRUST_LEVELS.join(', ')} (omit or unmanaged: no device)`,
    )
    .option('--methods <list>', `a session that already proved these, comma separated: ${AUTH_METHODS.join(', ')}`)
    .option('--methods-age <seconds>', 'how long ago the session proved them', '0')
    .option('--acr-values <values>', "the relying party's acr_values, space separated")
    .option('--file <file>', 'evaluate this policy file instead of the published set')
    .option('--json', 'print the prediction and the final decision as JSON')
    .action(async (options: WhatIfOptions) => {
      process.stdout.write(await withServices(globals(), (s) => whatIf(s, options), {}));
    });
}

async function whatIf(s: Services, options: WhatIfOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const o = whatIfOverrides(options, now);
  // Loaded here: the country database, the access code and the methods are only for this command.
  const [
    { openAccess },
    { SignInEvaluator },
    { signInMethods },
    { predictSignIn },
    { openPasskeys },
    { PACKAGE_ROOT },
  ] = await Promise.all([
    import('../interactions/open.js'),
    import('../interactions/evaluate.js'),
    import('../server/sign-in-methods.js'),
    import('../interactions/predict.js'),
    import('../server/passkeys.js'),
    import('../config/load.js'),
  ]);
  await requireClient(s, options.client, o.clientType);
  const user = options.user ? await requireUser(s, options.user) : undefined;
  const extraGroups = await requireGroups(s, options.group ?? []);
  const { access, initial } = await openAccess(s, { file: options.file });
  if (!initial.ok) {
    for (const issue of initial.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
    throw new LatchkeyError('ERR_POLICY_FILE_INVALID', `the policy file ${initial.source} is invalid`);
  }
  // The same methods as the server, passkeys included (their ceremonies never run here).
  const passkeys = await openPasskeys(s, path.join(PACKAGE_ROOT, 'src', 'views', 'static'));
  const evaluator = new SignInEvaluator(access, signInMethods(s, undefined, passkeys.methods).methods);
  const adjust = (facts: Facts): Facts => ({
    ...facts,
    client: { id: options.client, type: o.clientType ?? facts.client.type },
    user: facts.user ? { ...facts.user, groups: [...new Set([...facts.user.groups, ...extraGroups])] } : undefined,
    country: o.country === undefined ? facts.country : o.country,
    platform: o.platform ?? facts.platform,
    osVersion: options.osVersion ?? facts.osVersion,
  });
  const trust = o.deviceTrust === 'unmanaged' ? undefined : o.deviceTrust;
  const prediction = await predictSignIn(evaluator, {
    clientId: options.client,
    user,
    request: { ip: options.ip, peerIp: options.ip, headers: {}, userAgent: options.userAgent },
    sessionMethods: o.methods,
    device: trust ? { trust, platform: o.platform, osVersion: options.osVersion } : undefined,
    acrValues: options.acrValues,
    adjust,
  });
  const { facts, decision } = prediction.final;
  if (options.json) {
    return (
      JSON.stringify({
        prediction: predictionToJson(prediction),
        facts: { ...facts, user: facts.user?.username },
        decision: decisionToJson(decision),
      }) + '\n'
    );
  }
  return `${renderPrediction(prediction)}\n\n${renderDecisionText(decision)}\n`;
}

/** The client must be registered, unless --client-type describes one that is not yet. */
async function requireClient(s: Services, clientId: string, clientType: ClientType | undefined): Promise<void> {
  if (clientId === ACCOUNT_CLIENT_ID || clientType || (await s.clients.find(clientId))) return;
  const clients = await s.clients.list();
  const byId = closestMatch(clientId, [ACCOUNT_CLIENT_ID, ...clients.map((c) => c.clientId)]);
  const byName = clients.find((c) => c.name.toLowerCase() === clientId.toLowerCase());
  const guess = byId ?? byName?.clientId;
  throw new NotFoundError(
    'ERR_CLIENT_NOT_FOUND',
    `no client "${clientId}"${guess ? ` (did you mean ${guess}?)` : ''}; for a client not registered yet, give --client-type`,
  );
}

async function requireUser(s: Services, login: string): Promise<User> {
  const user = await s.users.findByLogin(login);
  if (user) return user;
  const guess = closestMatch(
    login,
    (await s.users.list()).map((u) => u.username),
  );
  throw new NotFoundError('ERR_USER_NOT_FOUND', `no user "${login}"${guess ? ` (did you mean ${guess}?)` : ''}`);
}

async function requireGroups(s: Services, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const known = (await s.groups.list()).map((g) => g.name);
  for (const name of names) {
    if (known.includes(name)) continue;
    const guess = closestMatch(name, known);
    throw new NotFoundError('ERR_GROUP_NOT_FOUND', `no group "${name}"${guess ? ` (did you mean ${guess}?)` : ''}`);
  }
  return [...names];
}

/** The prediction as text: the outcome line, what the person reads and why, and the steps on the way. */
export function renderPrediction(prediction: Prediction): string {
  const path = prediction.steps.map((step) => step.method).join(', then ');
  const lines: string[] = [];
  switch (prediction.outcome) {
    case 'allow':
      lines.push(`Prediction: ALLOW ${path ? `after ${path}` : 'at once (the session suffices)'}`);
      lines.push(`  acr ${prediction.acr}`);
      break;
    case 'deny':
      lines.push(`Prediction: DENY${path ? ` after ${path}` : ''} (${prediction.error})`);
      lines.push(`  the person reads: ${prediction.message}`);
      lines.push(`  why: ${prediction.reason}`);
      break;
    case 'needs':
      lines.push(`Prediction: NEEDS ${prediction.next.method}${path ? ` after ${path}` : ''}`);
      lines.push(`  asked because: ${describeReason(prediction.next.because)}`);
      lines.push(`  stops here: ${prediction.reason}`);
      break;
  }
  if (prediction.steps.length > 0) {
    lines.push('Steps:');
    prediction.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${describeStep(step)}`));
  }
  return lines.join('\n');
}

function describeStep(step: PredictedStep): string {
  const result = step.result === 'proved' ? '' : ` → nothing proven: ${step.detail ?? ''}`;
  return `${step.method} (${describeReason(step.because)})${result}`;
}

/** Why a method is asked for, in an administrator's words. */
export function describeReason(because: StepReason): string {
  switch (because.kind) {
    case 'device_check':
      return 'the device check runs first: a policy judges the device';
    case 'identify':
      return 'identifies the user';
    case 'requirement': {
      const what = formatRequirement([because.clause]);
      if (because.source === 'policy') return `the policies require ${what}`;
      if (because.source === 'acr_values') return `the relying party's acr_values require ${what}`;
      return because.clause.includes('mfa')
        ? `every sign-in of a user with a second factor requires ${what}`
        : `every sign-in requires ${what}`;
    }
  }
}

function predictionToJson(prediction: Prediction) {
  const steps = prediction.steps.map((step) => ({ ...step, because: reasonToJson(step.because) }));
  const common = { outcome: prediction.outcome, steps };
  switch (prediction.outcome) {
    case 'allow':
      return { ...common, acr: prediction.acr };
    case 'deny':
      return { ...common, error: prediction.error, message: prediction.message, reason: prediction.reason };
    case 'needs':
      return {
        ...common,
        next: { method: prediction.next.method, because: reasonToJson(prediction.next.because) },
        reason: prediction.reason,
      };
  }
}

function reasonToJson(because: StepReason) {
  return { ...because, text: describeReason(because) };
}
