// Test helpers: build a PolicySet from YAML written in the test, and Facts with sensible defaults.
import { formatPolicyFileIssue } from '../../../src/policies/errors.js';
import { parsePolicyFile } from '../../../src/policies/parse.js';
import type { Facts, PolicySet } from '../../../src/policies/types.js';

/** Fixed "now" for tests: 2026-01-01T00:00:00Z. */
export const NOW = 1_767_225_600;

/** Parse YAML that must be valid; fails the test with every issue otherwise. */
export function policySet(yaml: string, file = 'test-policies.yaml'): PolicySet {
  const result = parsePolicyFile(yaml, file);
  if (!result.ok) throw new Error(result.issues.map(formatPolicyFileIssue).join('\n'));
  return result.policySet;
}

/** Facts for alice (group staff) on the first-party portal from a public address, nothing proven. */
export function facts(overrides: Partial<Facts> = {}): Facts {
  return {
    client: { id: 'portal', type: 'first_party' },
    user: { id: 'u-alice', username: 'alice', groups: ['staff'] },
    ip: '8.8.8.8',
    country: 'US',
    methods: {},
    ...overrides,
  };
}
