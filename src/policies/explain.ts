// What-if and audit rendering of a Decision: a readable text table of every policy's verdict and reasons,
// and a stable JSON form. Rendering only; the decision itself comes from evaluate (or decide).
import { formatDuration } from './duration.js';
import { formatRequirement } from './requirements.js';
import {
  AUTH_METHODS,
  type Decision,
  type DecisionBasis,
  type DecisionOutcome,
  type PolicySet,
  type PolicyVerdict,
  type Requirement,
} from './types.js';

export interface VerdictJson {
  readonly policy: string;
  readonly state: PolicyVerdict['state'];
  readonly verdict: PolicyVerdict['verdict'];
  readonly enforced: boolean;
  readonly requirement: string[][];
  readonly requires: string;
  readonly signInFrequency: string | null;
  readonly matchedConditions: string[];
  readonly reasons: string[];
}

export interface DecisionJson {
  readonly outcome: DecisionOutcome;
  readonly basis: DecisionBasis;
  readonly reason: string;
  readonly denialMessage: string | null;
  readonly requirement: string[][];
  readonly requires: string;
  readonly unmet: string[][];
  readonly signInWith: string[];
  readonly maxAgeSeconds: Record<string, number>;
  readonly appliedPolicies: string[];
  readonly deniedBy: string[];
  readonly pendingPolicies: string[];
  readonly deniedForUnmanagedDevice: boolean;
  readonly deviceDependent: boolean;
  readonly reportOnly: { wouldDeny: string[]; wouldRequire: string[][]; wouldBeUnmet: string[][] };
  readonly evaluatedAt: string;
  readonly verdicts: VerdictJson[];
}

/** The decision as plain JSON (what `policy what-if --json` prints and the audit log stores). */
export function decisionToJson(decision: Decision): DecisionJson {
  return {
    outcome: decision.outcome,
    basis: decision.basis,
    reason: decision.reason,
    denialMessage: decision.denialMessage,
    requirement: plain(decision.requirement),
    requires: formatRequirement(decision.requirement),
    unmet: plain(decision.unmet),
    signInWith: [...decision.signInWith],
    maxAgeSeconds: { ...decision.maxAgeSeconds },
    appliedPolicies: [...decision.appliedPolicies],
    deniedBy: [...decision.deniedBy],
    pendingPolicies: [...decision.pendingPolicies],
    deniedForUnmanagedDevice: decision.deniedForUnmanagedDevice,
    deviceDependent: decision.deviceDependent,
    reportOnly: {
      wouldDeny: [...decision.reportOnly.wouldDeny],
      wouldRequire: plain(decision.reportOnly.wouldRequire),
      wouldBeUnmet: plain(decision.reportOnly.wouldBeUnmet),
    },
    evaluatedAt: new Date(decision.evaluatedAt * 1000).toISOString(),
    verdicts: decision.verdicts.map(verdictToJson),
  };
}

/** The decision as text: a summary, then a table of every policy's verdict with its reasons. */
export function renderDecisionText(decision: Decision): string {
  return [...summaryLines(decision), '', ...renderTable(decision.verdicts)].join('\n');
}

/** One line for `policy check`: how many policies in which state, named locations and defaults. */
export function summarisePolicySet(policySet: PolicySet): string {
  const count = (state: string): number => policySet.policies.filter((policy) => policy.state === state).length;
  const defaults = Object.entries(policySet.defaults)
    .map(([type, outcome]) => `${type} ${outcome}`)
    .join(', ');
  const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (
    `${policySet.source}: ${counted(policySet.policies.length, 'policy', 'policies')} (${count('enabled')} enabled, ` +
    `${count('report-only')} report-only, ${count('disabled')} disabled), ` +
    `${counted(policySet.namedLocations.size, 'named location', 'named locations')}; default: ${defaults}`
  );
}

/** Verdict as shown in the table: enforced outcomes in capitals, report-only ones as "would ...". */
export function verdictLabel(verdict: PolicyVerdict): string {
  switch (verdict.verdict) {
    case 'allow':
    case 'deny':
      return verdict.state === 'report-only' ? `would ${verdict.verdict}` : verdict.verdict.toUpperCase();
    case 'not_matched':
      return 'not matched';
    case 'pending_user':
      return 'pending user';
    case 'skipped':
      return 'skipped';
  }
}

function verdictToJson(verdict: PolicyVerdict): VerdictJson {
  return {
    policy: verdict.policy,
    state: verdict.state,
    verdict: verdict.verdict,
    enforced: verdict.enforced,
    requirement: plain(verdict.requirement),
    requires: formatRequirement(verdict.requirement),
    signInFrequency: verdict.signInFrequencySeconds === null ? null : formatDuration(verdict.signInFrequencySeconds),
    matchedConditions: [...verdict.matchedConditions],
    reasons: [...verdict.reasons],
  };
}

function plain(requirement: Requirement): string[][] {
  return requirement.map((clause) => [...clause]);
}

function summaryLines(decision: Decision): string[] {
  const lines = [
    `Decision: ${decision.outcome.toUpperCase()} (${decision.basis.replace(/_/g, ' ')})`,
    `  ${decision.reason}`,
  ];
  if (decision.outcome !== 'deny') {
    lines.push(`Requires: ${formatRequirement(decision.requirement)}`);
    lines.push(`Still unmet: ${decision.unmet.length === 0 ? 'nothing' : formatRequirement(decision.unmet)}`);
  }
  const ages = AUTH_METHODS.flatMap((method) => {
    const seconds = decision.maxAgeSeconds[method];
    return seconds === undefined ? [] : [`${method} ${formatDuration(seconds)}`];
  });
  if (ages.length > 0) lines.push(`Sign-in frequency: ${ages.join(', ')}`);
  const { wouldDeny, wouldRequire, wouldBeUnmet } = decision.reportOnly;
  if (wouldDeny.length > 0) lines.push(`Report-only: would deny (${wouldDeny.join(', ')})`);
  if (wouldRequire.length > 0) {
    const unmet = wouldBeUnmet.length === 0 ? 'met' : `unmet: ${formatRequirement(wouldBeUnmet)}`;
    lines.push(`Report-only: would require ${formatRequirement(wouldRequire)} (${unmet})`);
  }
  return lines;
}

const HEADERS = ['POLICY', 'STATE', 'VERDICT', 'REQUIRES', 'REASONS'] as const;

function renderTable(verdicts: readonly PolicyVerdict[]): string[] {
  if (verdicts.length === 0) return ['(no policies)'];
  const rows = verdicts.map((verdict) => [
    verdict.policy,
    verdict.state,
    verdictLabel(verdict),
    verdict.requirement.length === 0 ? '-' : formatRequirement(verdict.requirement),
  ]);
  const widths = [0, 1, 2, 3].map((column) =>
    Math.max(HEADERS[column]?.length ?? 0, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const pad = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  const indent = ' '.repeat(widths.reduce((sum, width) => sum + width + 2, 0));
  const lines = [`${pad(HEADERS.slice(0, 4))}  ${HEADERS[4]}`];
  verdicts.forEach((verdict, i) => {
    const [first = '', ...rest] = verdict.reasons;
    lines.push(`${pad(rows[i] ?? [])}  ${first}`);
    for (const reason of rest) lines.push(`${indent}${reason}`);
  });
  return lines;
}
