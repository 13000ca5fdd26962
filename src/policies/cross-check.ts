// Checks that span fields of a policy file: unique policy names, ip entries that name a defined location,
// and outcome-specific fields. They read the raw document defensively, so they run (and report) even when
// the schema found other problems in the same file.
import { closestMatch } from './suggest.js';
import { LOCATION_NAME } from './schema.js';

export interface PathIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every cross-field problem in a raw policy document, each at the path of the field to fix. */
export function crossCheckPolicyDocument(document: unknown): PathIssue[] {
  if (!isRecord(document) || !Array.isArray(document.policies)) return [];
  const locations = isRecord(document.named_locations) ? Object.keys(document.named_locations) : [];
  const policies: unknown[] = document.policies;
  return [
    ...duplicateNames(policies),
    ...policies.flatMap((policy, i) => (isRecord(policy) ? checkPolicy(policy, i, locations) : [])),
  ];
}

function duplicateNames(policies: readonly unknown[]): PathIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: PathIssue[] = [];
  policies.forEach((policy, i) => {
    const name = isRecord(policy) ? policy.name : undefined;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else
      issues.push({
        path: ['policies', i, 'name'],
        message: `duplicate policy name "${name}" (also policies[${first}])`,
      });
  });
  return issues;
}

function checkPolicy(policy: Record<string, unknown>, index: number, locations: readonly string[]): PathIssue[] {
  const at = (...path: (string | number)[]): (string | number)[] => ['policies', index, ...path];
  const issues: PathIssue[] = [];
  if (policy.outcome === 'deny' && policy.require !== undefined) {
    issues.push({
      path: at('require'),
      message: 'require is only for outcome allow: a deny policy has no requirements',
    });
  }
  if (policy.outcome === 'deny' && policy.sign_in_frequency !== undefined) {
    issues.push({ path: at('sign_in_frequency'), message: 'sign_in_frequency is only for outcome allow' });
  }
  if (policy.outcome === 'deny' && policy.sign_in_with !== undefined) {
    issues.push({ path: at('sign_in_with'), message: 'sign_in_with is only for outcome allow' });
  }
  const conditions = policy.conditions;
  if (!isRecord(conditions)) return issues;
  for (const field of ['ip', 'not_ip'] as const) {
    const entries = conditions[field];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string' || !LOCATION_NAME.test(entry) || locations.includes(entry)) return;
      issues.push({ path: at('conditions', field, i), message: unknownLocationMessage(entry, locations) });
    });
  }
  return issues;
}

function unknownLocationMessage(name: string, locations: readonly string[]): string {
  if (locations.length === 0)
    return `"${name}" is neither a CIDR nor a named location (no named_locations are defined)`;
  const suggestion = closestMatch(name, locations);
  const hint = suggestion === null ? '' : `did you mean "${suggestion}"? `;
  return `"${name}" is neither a CIDR nor a named location (${hint}defined: ${locations.join(', ')})`;
}
