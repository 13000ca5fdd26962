// Public surface of the conditional-access engine: parse a policy file, evaluate a sign-in, apply the
// account-page rule, work out what is still unmet, and explain a decision. Everything here is pure.
export * from './types.js';
export { parsePolicyFile, loadPolicySet, type PolicyParseResult } from './parse.js';
export { PolicyFileError, formatPolicyFileIssue, type PolicyFileIssue } from './errors.js';
export { evaluatePolicies } from './evaluate.js';
export { deviceTrustLevel } from './device-trust.js';
export { ACCOUNT_CLIENT_ID, applyAccountPageRule, decide } from './account-page.js';
export { isBuiltInClient } from './built-in-clients.js';
export { CONSOLE_CLIENT_ID, CONSOLE_RULE_NAME, applyConsoleRule, type BuiltInRuleInputs } from './console.js';
export {
  combineRequirements,
  formatRequirement,
  freshMethods,
  isMfaMet,
  isRequirementNameMet,
  normaliseRequirement,
  resolveHighestMfa,
  resolveRequirement,
  unmetClauses,
  unmetRequirements,
} from './requirements.js';
export { decisionToJson, renderDecisionText, summarisePolicySet, verdictLabel, type DecisionJson } from './explain.js';
export { parseUserAgent, normalisePlatformName, type UserAgentPlatform } from './user-agent.js';
export { compareVersions, parseReportedVersion, parsePolicyVersion, meetsMinimumVersion } from './version.js';
export { parseIp, parseCidr, cidrContains, anyCidrContains, isNonPublicAddress, type IpAddress } from './network.js';
export { normaliseCountryCode, isCountryCode, UNKNOWN_COUNTRY } from './countries.js';
export { parseDuration, formatDuration } from './duration.js';
