// The vocabulary of conditional access: what a policy file says once compiled (PolicySet), what a sign-in
// looks like to the engine (Facts) and what the engine answers (Decision). Pure data; no behaviour here.

/** Kinds of OIDC client; each has its own default outcome. */
export const CLIENT_TYPES = ['first_party', 'third_party', 'factor'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/**
 * Authentication methods a sign-in can satisfy; each has a step in src/interactions/. A
 * `device_bound_passkey` is a passkey that is not synced and was registered on a device Latchkey knows:
 * only such passkeys prove it, and proving it also meets `passkey`.
 */
export const AUTH_METHODS = ['password', 'totp', 'passkey', 'device_certificate', 'device_bound_passkey'] as const;
export type MethodName = (typeof AUTH_METHODS)[number];

/** Methods that can identify a user and so may sign them in without a password (`sign_in_with`). */
export const FIRST_FACTOR_METHODS = ['password', 'passkey', 'device_certificate', 'device_bound_passkey'] as const;

/** Methods whose proof establishes which device is in use (and so can meet device conditions). */
export const DEVICE_PROVING_METHODS: readonly MethodName[] = ['device_certificate', 'device_bound_passkey'];
export type FirstFactorMethod = (typeof FIRST_FACTOR_METHODS)[number];

/**
 * Names a policy may require: every method, plus `mfa` (two distinct factor kinds, RFC 8176 sense) and
 * `highest_mfa` (the strongest MFA the user has enrolled: passkey, else password + TOTP, else `mfa`).
 */
export const REQUIREMENT_NAMES = [...AUTH_METHODS, 'mfa', 'highest_mfa'] as const;
export type RequirementName = (typeof REQUIREMENT_NAMES)[number];

/** A requirement as written in a policy file: a name, or all_of / any_of over nested expressions. */
export type RequirementExpression =
  RequirementName | { all_of: RequirementExpression[] } | { any_of: RequirementExpression[] };

/** One any-of group of a normalised requirement: met when any one of its names is met. */
export type RequirementClause = readonly RequirementName[];

/** A normalised requirement (conjunctive normal form): every clause must be met. `[]` requires nothing. */
export type Requirement = readonly RequirementClause[];

export const POLICY_STATES = ['enabled', 'report-only', 'disabled'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

export const OUTCOMES = ['allow', 'deny'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** unmanaged: no device proven; managed: enrolled device proven, not compliant; trusted: proven and compliant. */
export const DEVICE_TRUST_LEVELS = ['trusted', 'managed', 'unmanaged'] as const;
export type DeviceTrust = (typeof DEVICE_TRUST_LEVELS)[number];

export const PLATFORMS = ['windows', 'macos', 'linux', 'ios', 'android', 'chromeos'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The condition kinds a policy can use; a verdict lists which of them matched. */
export type ConditionName = 'device' | 'platforms' | 'not_platforms' | 'ip' | 'not_ip' | 'countries' | 'not_countries';

/** Unix time in whole seconds. */
export type EpochSeconds = number;

// ---------------------------------------------------------------------------------------------------------
// Compiled policy set (output of parsePolicyFile)

/** `all`, or an explicit set of names. */
export type Selection<T extends string = string> = 'all' | ReadonlySet<T>;

/** One CIDR block, precompiled for matching. */
export interface Cidr {
  readonly text: string;
  readonly family: 4 | 6;
  /** Network address, 4 or 16 bytes. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** One entry of an ip / not_ip list: an inline CIDR or a named location, with a label for reasons. */
export interface NetworkEntry {
  /** e.g. `named location office` or `10.0.0.0/8`. */
  readonly label: string;
  readonly cidrs: readonly Cidr[];
}

export interface CompiledTargets {
  readonly clients: Selection;
  readonly excludeClients: ReadonlySet<string>;
  readonly clientTypes: Selection<ClientType>;
  readonly excludeClientTypes: ReadonlySet<ClientType>;
  /** null when the policy names neither users nor groups (= every user). */
  readonly users: Selection | null;
  readonly groups: Selection | null;
  readonly excludeUsers: ReadonlySet<string>;
  readonly excludeGroups: ReadonlySet<string>;
  /** False when the policy applies to every user, so it can be decided before the user is known. */
  readonly needsUser: boolean;
}

/** Platform → minimum OS version (numeric components), or null for any version. */
export type PlatformRule = ReadonlyMap<Platform, readonly number[] | null>;

export interface CompiledConditions {
  readonly device: ReadonlySet<DeviceTrust> | null;
  readonly platforms: PlatformRule | null;
  readonly notPlatforms: PlatformRule | null;
  readonly ip: readonly NetworkEntry[] | null;
  readonly notIp: readonly NetworkEntry[] | null;
  /** ISO 3166-1 alpha-2 codes, plus `unknown` for "no country known". */
  readonly countries: ReadonlySet<string> | null;
  readonly notCountries: ReadonlySet<string> | null;
}

export interface Policy {
  readonly name: string;
  readonly description: string | null;
  readonly state: PolicyState;
  readonly targets: CompiledTargets;
  readonly conditions: CompiledConditions;
  readonly outcome: Outcome;
  /** The requirement as written (null when none), for display. */
  readonly require: RequirementExpression | null;
  /** The requirement normalised; `[]` for deny or for allow without `require`. */
  readonly requirement: Requirement;
  /** The normalised requirement as text, e.g. `mfa AND (passkey OR device_certificate)`. */
  readonly requirementText: string;
  /** Methods whose age sign_in_frequency limits: those the requirement can use (all without one). */
  readonly frequencyMethods: readonly MethodName[];
  /** `sign_in_frequency` in seconds, or null; it limits the age of the methods the requirement can use (all without one). */
  readonly signInFrequencySeconds: number | null;
  /** `sign_in_with`: methods that may sign the user in on their own (without a password); null when unset. */
  readonly signInWith: readonly FirstFactorMethod[] | null;
  /** True when proving a device can change this policy's verdict (a device condition, or a minimum OS version). */
  readonly usesDevice: boolean;
}

export interface PolicySet {
  /** File name the set was read from, for messages. */
  readonly source: string;
  readonly defaults: Readonly<Record<ClientType, Outcome>>;
  /** Client types whose default was not written in the file (and so is `deny`). */
  readonly implicitDefaults: readonly ClientType[];
  readonly namedLocations: ReadonlyMap<string, readonly Cidr[]>;
  readonly policies: readonly Policy[];
  /** True when an enabled policy's verdict can change once a device is proven (see Policy.usesDevice). */
  readonly hasDeviceConditions: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Facts (input of evaluatePolicies)

export interface ClientFacts {
  readonly id: string;
  readonly type: ClientType;
}

export interface UserFacts {
  readonly id: string;
  readonly username: string;
  readonly groups: readonly string[];
}

/** A device proven in this sign-in (device certificate or device-bound passkey), from its device record. */
export interface DeviceFacts {
  readonly id: string;
  readonly trust: DeviceTrust;
  readonly platform?: Platform;
  readonly osVersion?: string;
  readonly managed?: boolean;
  readonly compliant?: boolean;
}

export interface Facts {
  readonly client: ClientFacts;
  /** Absent until the user is identified; user-targeted policies are then `pending_user`. */
  readonly user?: UserFacts;
  readonly ip: string;
  /** ISO 3166-1 alpha-2, or null when unknown (a fact policies can match as `unknown`). */
  readonly country: string | null;
  readonly userAgent?: string;
  /** Parsed from the user agent (parseUserAgent); when absent and userAgent is set, parsed on demand. */
  readonly platform?: Platform;
  readonly osVersion?: string;
  /** Absent when no device was proven in this sign-in: the trust level is then `unmanaged`. */
  readonly device?: DeviceFacts;
  /** True once a device check ran in this sign-in and proved no device (it is not run again). */
  readonly deviceChecked?: boolean;
  /** Methods satisfied in this session and when (epoch seconds). */
  readonly methods: Readonly<Partial<Record<MethodName, EpochSeconds>>>;
  /** Methods the user has enrolled, for `highest_mfa`; absent = unknown (resolves to `mfa`). */
  readonly enrolledMethods?: readonly MethodName[];
}

// ---------------------------------------------------------------------------------------------------------
// Decision (output of evaluatePolicies)

/**
 * deny / allow: the policy matched (for report-only: what it would do); not_matched: targets or conditions
 * did not match; pending_user: everything known matched but the user is not yet known; skipped: disabled.
 */
export type VerdictKind = 'deny' | 'allow' | 'not_matched' | 'pending_user' | 'skipped';

export interface PolicyVerdict {
  readonly policy: string;
  readonly state: PolicyState;
  readonly verdict: VerdictKind;
  /** True when this verdict shapes the outcome (enabled and matched). */
  readonly enforced: boolean;
  /** The policy's own normalised requirement when it allows; `[]` otherwise. */
  readonly requirement: Requirement;
  readonly signInFrequencySeconds: number | null;
  /** Conditions that matched (only filled for deny / allow / pending_user verdicts). */
  readonly matchedConditions: readonly ConditionName[];
  /** Human-readable, e.g. "ip 10.1.2.3 is in named location office". */
  readonly reasons: readonly string[];
}

/**
 * allow: the sign-in may finish once `unmet` is empty; deny: end with access_denied; pending_user: some
 * enabled policy depends on the user, so identify the user (meeting `requirement` so far) and evaluate again.
 */
export type DecisionOutcome = 'allow' | 'deny' | 'pending_user';

/** Why the outcome is what it is. */
export type DecisionBasis = 'policy' | 'default' | 'account_page_rule' | 'console_rule';

export interface ReportOnlySummary {
  /** Report-only policies that would deny. */
  readonly wouldDeny: readonly string[];
  /** Combined requirement of report-only policies that would allow with requirements. */
  readonly wouldRequire: Requirement;
  /** The part of wouldRequire that the session's methods do not meet. */
  readonly wouldBeUnmet: Requirement;
}

export interface Decision {
  readonly outcome: DecisionOutcome;
  readonly basis: DecisionBasis;
  /** One line for administrators and logs, e.g. "denied by policy block-outside-eu". */
  readonly reason: string;
  /** For a deny, what the person is told: the denying policies' descriptions, never their names. */
  readonly denialMessage: string | null;
  /** Methods that may sign the user in on their own, from the enforced allow policies' `sign_in_with`. */
  readonly signInWith: readonly FirstFactorMethod[];
  /** Combined requirement of the enforced allow policies (`[]` when denied). */
  readonly requirement: Requirement;
  /** Clauses of `requirement` the session's methods do not meet at `evaluatedAt`. */
  readonly unmet: Requirement;
  /** Per method: the longest age (seconds) at which it still counts, from sign_in_frequency. */
  readonly maxAgeSeconds: Readonly<Partial<Record<MethodName, number>>>;
  /** Enabled policies that matched and decided (deny and allow). */
  readonly appliedPolicies: readonly string[];
  readonly deniedBy: readonly string[];
  /** Enabled policies waiting for the user to be known. */
  readonly pendingPolicies: readonly string[];
  /** True when denied only by policies with a device condition while no device is proven. */
  readonly deniedForUnmanagedDevice: boolean;
  /**
   * True when no device was proven or checked yet and an enabled policy whose targets match (or wait for
   * the user) would judge the device: proving one may change the outcome, so run the device check before
   * treating a deny as final or asking for a password.
   */
  readonly deviceDependent: boolean;
  /** Every policy in file order. */
  readonly verdicts: readonly PolicyVerdict[];
  readonly reportOnly: ReportOnlySummary;
  /** The `now` the decision was taken at. */
  readonly evaluatedAt: EpochSeconds;
  readonly clientType: ClientType;
}
