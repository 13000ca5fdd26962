// What-if: predicts what a described sign-in ends with, by running the sign-in's own evaluation and
// next-step logic with the user's real enrolled methods (interactions/predict.ts): DENY with what the person
// reads and why, NEEDS with what is asked next, or ALLOW with the steps on the way, and every policy's
// verdict. The CLI, the admin API and the console call it; it writes nothing (no audit, no counter).
// The client, user and groups named must exist (with a "did you mean").
import { isIP } from 'node:net';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { AccessControl, type AccessDeps } from '../interactions/access.js';
import { SignInEvaluator } from '../interactions/evaluate.js';
import type { StepReason } from '../interactions/flow.js';
import type { SignInMethod } from '../interactions/methods/types.js';
import { PolicySource } from '../interactions/policy-source.js';
import { predictSignIn, type Prediction, type PredictedStep } from '../interactions/predict.js';
import type { Logger } from '../log.js';
import {
  ACCOUNT_CLIENT_ID,
  AUTH_METHODS,
  CLIENT_TYPES,
  DEVICE_TRUST_LEVELS,
  PLATFORMS,
  decisionToJson,
  formatRequirement,
  isBuiltInClient,
  normaliseCountryCode,
  renderDecisionText,
  type ClientType,
  type Decision,
  type DeviceTrust,
  type Facts,
  type MethodName,
  type Platform,
  type PolicySet,
} from '../policies/index.js';
import { closestMatch } from '../policies/suggest.js';
import type { GroupRepository, User } from '../store/users.js';
import { CLI_FLAGS, type OptionNames } from './option-names.js';

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
  /** How the caller named these options, for refusals (default: the CLI's flags). */
  optionNames?: OptionNames;
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
  const name = options.optionNames ?? CLI_FLAGS;
  if (!isIP(options.ip))
    throw new InvalidInputError('ERR_USAGE_IP', `${name('ip')} must be an IPv4 or IPv6 address, not "${options.ip}"`);
  const methodNames = options.methods
    ? options.methods
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : [];
  const methods = methodNames.map((m) => oneOf(name('methods'), m, AUTH_METHODS)!);
  const age = Number(options.methodsAge);
  if (!Number.isInteger(age) || age < 0)
    throw new InvalidInputError(
      'ERR_USAGE_AGE',
      `${name('methodsAge')} must be whole seconds, not "${options.methodsAge}"`,
    );
  if (methods.length > 0 && !options.user)
    throw new InvalidInputError(
      'ERR_USAGE_METHODS',
      `${name('methods')} describes a session: name its user with ${name('user')}`,
    );
  if (options.group?.length && !options.user)
    throw new InvalidInputError(
      'ERR_USAGE_GROUP',
      `${name('group')} adds groups to a user: name the user with ${name('user')}`,
    );
  let country: string | null | undefined;
  if (options.country !== undefined) {
    country = options.country.toLowerCase() === 'unknown' ? null : normaliseCountryCode(options.country);
    if (country === undefined)
      throw new InvalidInputError(
        'ERR_USAGE_COUNTRY',
        `${name('country')} must be an ISO 3166 alpha-2 code or "unknown", not "${options.country}"`,
      );
  }
  return {
    clientType: oneOf<ClientType>(name('clientType'), options.clientType, CLIENT_TYPES),
    platform: oneOf<Platform>(name('platform'), options.platform, PLATFORMS),
    deviceTrust: oneOf<DeviceTrust>(name('deviceTrust'), options.deviceTrust, DEVICE_TRUST_LEVELS),
    country,
    methods: Object.fromEntries(methods.map((m) => [m, now - age])) as Partial<Record<MethodName, number>>,
  };
}

/** What a what-if runs on: the policy set in force, the same sign-in methods and facts as the server. */
export interface WhatIfDeps extends Omit<AccessDeps, 'policies'> {
  policies: PolicySource;
  groups: Pick<GroupRepository, 'list'>;
  methods: readonly SignInMethod[];
  log: Logger;
}

/** A prediction with the facts it was made from and the final decision (every policy's verdict). */
export interface WhatIfResult {
  prediction: Prediction;
  facts: Facts;
  decision: Decision;
}

/** A what-if over a node's policies and sign-in methods; with `draft`, over that set instead. */
export type AdminWhatIf = (options: WhatIfOptions, draft?: PolicySet) => Promise<WhatIfResult>;

/**
 * Predicts the sign-in `options` describes under the set in force, or under `draft` (a parsed set not yet
 * published: the preview of a policy change).
 */
export async function whatIf(deps: WhatIfDeps, options: WhatIfOptions, draft?: PolicySet): Promise<WhatIfResult> {
  const now = Math.floor(Date.now() / 1000);
  const o = whatIfOverrides(options, now);
  await requireClient(deps, options.client, o.clientType);
  const user = options.user ? await requireUser(deps, options.user) : undefined;
  const extraGroups = await requireGroups(deps, options.group ?? []);
  let policies = deps.policies;
  if (draft) {
    policies = new PolicySource(deps.log);
    policies.use(draft);
  }
  const access = new AccessControl({ ...deps, policies });
  const evaluator = new SignInEvaluator(access, deps.methods);
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
  return { prediction, facts: prediction.final.facts, decision: prediction.final.decision };
}

/** The result as JSON (the CLI's --json, the admin API). */
export function whatIfToJson(result: WhatIfResult) {
  return {
    prediction: predictionToJson(result.prediction),
    facts: { ...result.facts, user: result.facts.user?.username },
    decision: decisionToJson(result.decision),
  };
}

/** The result as text: the prediction, then the decision with every policy's verdict. */
export function whatIfText(result: WhatIfResult): string {
  return `${renderPrediction(result.prediction)}\n\n${renderDecisionText(result.decision)}\n`;
}

/** The client must be registered, unless --client-type describes one that is not yet. */
async function requireClient(
  s: Pick<WhatIfDeps, 'clients'>,
  clientId: string,
  clientType: ClientType | undefined,
): Promise<void> {
  if (isBuiltInClient(clientId) || clientType || (await s.clients.find(clientId))) return;
  const clients = await s.clients.list();
  const byId = closestMatch(clientId, [ACCOUNT_CLIENT_ID, ...clients.map((c) => c.clientId)]);
  const byName = clients.find((c) => c.name.toLowerCase() === clientId.toLowerCase());
  const guess = byId ?? byName?.clientId;
  throw new NotFoundError(
    'ERR_CLIENT_NOT_FOUND',
    `no client "${clientId}"${guess ? ` (did you mean ${guess}?)` : ''}; for a client not registered yet, give --client-type`,
  );
}

async function requireUser(s: Pick<WhatIfDeps, 'users'>, login: string): Promise<User> {
  const user = await s.users.findByLogin(login);
  if (user) return user;
  const guess = closestMatch(
    login,
    (await s.users.list()).map((u) => u.username),
  );
  throw new NotFoundError('ERR_USER_NOT_FOUND', `no user "${login}"${guess ? ` (did you mean ${guess}?)` : ''}`);
}

async function requireGroups(s: Pick<WhatIfDeps, 'groups'>, names: readonly string[]): Promise<string[]> {
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

export function predictionToJson(prediction: Prediction) {
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
