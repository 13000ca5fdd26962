import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { LatchkeyError } from '../../../src/errors.js';
import { formatPolicyFileIssue, PolicyFileError, type PolicyFileIssue } from '../../../src/policies/errors.js';
import { loadPolicySet, parsePolicyFile } from '../../../src/policies/parse.js';

const FILE = 'config/policies.yaml';

/** Issues of a file that must be rejected. */
function issuesOf(yaml: string): readonly PolicyFileIssue[] {
  const result = parsePolicyFile(yaml, FILE);
  if (result.ok) throw new Error('expected the policy file to be rejected');
  return result.issues;
}

/** A file with one policy whose body is the given YAML lines (indented under the list item). */
function onePolicy(body: string, extra = ''): string {
  const indented = body
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `default: allow\n${extra}policies:\n  - name: p1\n${indented}\n`;
}

describe('parsePolicyFile: a valid file', () => {
  it('reads the documented example without problems', () => {
    const result = parsePolicyFile(
      readFileSync('config/policies.example.yaml', 'utf8'),
      'config/policies.example.yaml',
    );
    if (!result.ok) throw new Error(result.issues.map(formatPolicyFileIssue).join('\n'));
    expect(result.policySet.policies.map((policy) => policy.name)).toEqual([
      'block-sanctioned-countries',
      'staff-need-mfa-outside-office',
      'third-party-needs-managed-device',
      'outdated-os',
      'okta-factor-trusted-devices',
      'admin-console-passkey',
    ]);
    expect(result.policySet.defaults).toEqual({ first_party: 'allow', third_party: 'allow', factor: 'allow' });
  });

  it('normalises requirements into any-of groups that must all be met', () => {
    const set = loadPolicySet(
      onePolicy(
        'state: enabled\noutcome: allow\nrequire: { all_of: [mfa, { any_of: [passkey, device_certificate] }] }',
      ),
      FILE,
    );
    expect(set.policies[0]?.requirement).toEqual([['mfa'], ['passkey', 'device_certificate']]);
    expect(set.policies[0]?.require).toEqual({ all_of: ['mfa', { any_of: ['passkey', 'device_certificate'] }] });
  });

  it('keeps an unquoted version such as 14.10 as written', () => {
    const set = loadPolicySet(
      onePolicy('state: enabled\noutcome: deny\nconditions:\n  platforms: { macos: { min_os_version: 14.10 } }'),
      FILE,
    );
    expect(set.policies[0]?.conditions.platforms?.get('macos')).toEqual([14, 10]);
  });

  it('reads the sign-in frequency in minutes, hours and days', () => {
    const frequency = (text: string) =>
      loadPolicySet(onePolicy(`state: enabled\noutcome: allow\nsign_in_frequency: ${text}`), FILE).policies[0]
        ?.signInFrequencySeconds;
    expect(frequency('30m')).toBe(1800);
    expect(frequency('8h')).toBe(28800);
    expect(frequency('7d')).toBe(604800);
  });
});

describe('parsePolicyFile: problems are named by file, line, column and field', () => {
  it('reports malformed YAML with its position', () => {
    const [issue] = issuesOf('default: allow\npolicies:\n  - name: "unterminated\n');
    expect(issue).toMatchObject({ file: FILE, path: '' });
    expect(issue?.line).toBeGreaterThanOrEqual(3);
    expect(issue?.message).toMatch(/^YAML syntax: .*quote/);
  });

  it('reports a duplicated key as a YAML problem', () => {
    const [issue] = issuesOf('default: allow\ndefault: deny\npolicies: []\n');
    expect(issue).toMatchObject({ line: 2, column: 1 });
    expect(issue?.message).toContain('unique');
  });

  it('reports an empty file', () => {
    expect(issuesOf('')[0]?.message).toContain('the file is empty');
  });

  it('names an unknown field, its line and a likely intended one', () => {
    const issues = issuesOf(onePolicy('state: enabled\noutcome: deny\ncondtions: {}'));
    expect(issues).toEqual([
      expect.objectContaining({
        file: FILE,
        line: 6,
        column: 5,
        path: 'policies[0].condtions',
        policy: 'p1',
        message: expect.stringContaining('unknown field "condtions" (did you mean "conditions"?)'),
      }),
    ]);
  });

  it('names unknown fields at every level', () => {
    const issues = issuesOf(
      'default: allow\nextra: 1\npolicies:\n  - name: p\n    state: enabled\n    outcome: deny\n    targets: { user: [a] }\n',
    );
    expect(issues.map((issue) => [issue.path, issue.line])).toEqual([
      ['extra', 2],
      ['policies[0].targets.user', 7],
    ]);
  });

  it('names a bad CIDR with the reason', () => {
    const issues = issuesOf(onePolicy('state: enabled\noutcome: deny\nconditions:\n  ip: [10.0.0.0/8, 10.0.0.0/33]'));
    expect(issues).toEqual([
      expect.objectContaining({
        line: 7,
        column: 24,
        path: 'policies[0].conditions.ip[1]',
        message: '"10.0.0.0/33" is not a valid CIDR: prefix /33 is longer than 32 bits',
      }),
    ]);
  });

  it('refuses a CIDR with host bits set and suggests the network', () => {
    const [issue] = issuesOf('default: allow\nnamed_locations:\n  office: [192.168.1.7/24]\npolicies: []\n');
    expect(issue).toMatchObject({ line: 3, path: 'named_locations.office[0]' });
    expect(issue?.message).toContain('did you mean 192.168.1.0/24?');
  });

  it('refuses a bad IPv6 CIDR', () => {
    const [issue] = issuesOf('default: allow\nnamed_locations:\n  v6: ["2001:db8::/129"]\npolicies: []\n');
    expect(issue?.message).toContain('prefix /129 is longer than 128 bits');
  });

  it('names a reference to a named location that does not exist', () => {
    const issues = issuesOf(
      onePolicy(
        'state: enabled\noutcome: deny\nconditions:\n  not_ip: [ofice]',
        'named_locations:\n  office: [10.0.0.0/8]\n',
      ),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        line: 9,
        path: 'policies[0].conditions.not_ip[0]',
        message: '"ofice" is neither a CIDR nor a named location (did you mean "office"? defined: office)',
      }),
    ]);
  });

  it('names an unknown requirement inside a nested expression', () => {
    const issues = issuesOf(
      onePolicy('state: enabled\noutcome: allow\nrequire: { all_of: [mfa, { any_of: [passkey, sms] }] }'),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        line: 6,
        path: 'policies[0].require.all_of[1].any_of[1]',
        message: expect.stringContaining('unknown requirement "sms"'),
      }),
    ]);
  });

  it('suggests the requirement meant by a typo', () => {
    const [issue] = issuesOf(onePolicy('state: enabled\noutcome: allow\nrequire: pasword'));
    expect(issue?.message).toContain('(did you mean password?)');
  });

  it('refuses a requirement with both all_of and any_of', () => {
    const [issue] = issuesOf(
      onePolicy('state: enabled\noutcome: allow\nrequire: { all_of: [mfa], any_of: [passkey] }'),
    );
    expect(issue).toMatchObject({ path: 'policies[0].require', message: expect.stringContaining('exactly one field') });
  });

  it('names duplicate policy names at the second one', () => {
    const issues = issuesOf(
      'default: allow\npolicies:\n  - { name: same, state: enabled, outcome: deny }\n  - { name: same, state: enabled, outcome: deny }\n',
    );
    expect(issues).toEqual([
      expect.objectContaining({
        line: 4,
        path: 'policies[1].name',
        message: 'duplicate policy name "same" (also policies[0])',
      }),
    ]);
  });

  it('names an unknown state and suggests the intended one', () => {
    const [issue] = issuesOf(onePolicy('state: enable\noutcome: deny'));
    expect(issue).toMatchObject({ line: 4, column: 12, path: 'policies[0].state' });
    expect(issue?.message).toBe(
      'must be one of enabled, report-only, disabled, got string "enable" (did you mean enabled?)',
    );
  });

  it('names missing required fields', () => {
    const issues = issuesOf('default: allow\npolicies:\n  - name: p\n');
    expect(issues.map((issue) => [issue.path, issue.message])).toEqual([
      ['policies[0].state', 'is required'],
      ['policies[0].outcome', 'is required: one of allow, deny'],
    ]);
    expect(issuesOf('policies: []\n')[0]).toMatchObject({
      path: 'default',
      message: expect.stringContaining('is required'),
    });
  });

  it('names a bad version', () => {
    const [issue] = issuesOf(
      onePolicy('state: enabled\noutcome: deny\nconditions:\n  platforms: { macos: { min_os_version: "14.x" } }'),
    );
    expect(issue).toMatchObject({ path: 'policies[0].conditions.platforms.macos.min_os_version' });
    expect(issue?.message).toContain('must be a version such as "14.2.1"');
  });

  it('names an unknown platform, device level and client type', () => {
    const issues = issuesOf(
      onePolicy(
        'state: enabled\noutcome: deny\ntargets: { client_types: [first_party, partner] }\nconditions:\n  platforms: [windoze]\n  device: [compliant]',
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'policies[0].targets.client_types[1]',
      'policies[0].conditions.platforms[0]',
      'policies[0].conditions.device[0]',
    ]);
  });

  it('names country codes that are not ISO 3166-1 alpha-2', () => {
    const issues = issuesOf(
      onePolicy('state: enabled\noutcome: deny\nconditions:\n  countries: [UK, de, DE, unknown]'),
    );
    expect(issues.map((issue) => issue.message)).toEqual([
      '"UK" is not an ISO 3166-1 alpha-2 country code or "unknown" (did you mean GB?)',
      'country codes are upper case: write DE',
    ]);
  });

  it('refuses a bad sign-in frequency', () => {
    for (const value of ['8', '8 hours', '0h', '400d']) {
      const [issue] = issuesOf(onePolicy(`state: enabled\noutcome: allow\nsign_in_frequency: ${value}`));
      expect(issue).toMatchObject({ path: 'policies[0].sign_in_frequency' });
    }
  });

  it('refuses require and sign_in_frequency on a deny policy', () => {
    const issues = issuesOf(onePolicy('state: enabled\noutcome: deny\nrequire: mfa\nsign_in_frequency: 1h'));
    expect(issues.map((issue) => issue.path)).toEqual(['policies[0].require', 'policies[0].sign_in_frequency']);
  });

  it('reads sign_in_with and refuses methods that cannot identify a user, and deny policies using it', () => {
    const policy = loadPolicySet(
      onePolicy('state: enabled\noutcome: allow\nsign_in_with: [device_certificate, passkey]'),
      FILE,
    ).policies[0]!;
    expect(policy.signInWith).toEqual(['device_certificate', 'passkey']);
    const [totp] = issuesOf(onePolicy('state: enabled\noutcome: allow\nsign_in_with: [totp]'));
    expect(totp).toMatchObject({ path: 'policies[0].sign_in_with[0]' });
    expect(totp?.message).toContain('password, passkey, device_certificate');
    const [deny] = issuesOf(onePolicy('state: enabled\noutcome: deny\nsign_in_with: [passkey]'));
    expect(deny).toMatchObject({ path: 'policies[0].sign_in_with', message: 'sign_in_with is only for outcome allow' });
  });

  it('refuses empty include lists, which would match nothing', () => {
    const [issue] = issuesOf(onePolicy('state: enabled\noutcome: deny\ntargets: { users: [] }'));
    expect(issue).toMatchObject({
      path: 'policies[0].targets.users',
      message: expect.stringContaining('matches nothing'),
    });
  });

  it('refuses a single name where a list is expected', () => {
    const [issue] = issuesOf(onePolicy('state: enabled\noutcome: deny\ntargets: { clients: portal }'));
    expect(issue?.message).toContain('for one, write [portal]');
  });

  it('refuses a bad default per client type', () => {
    const issues = issuesOf('default: { first_party: allow, partner: deny, factor: maybe }\npolicies: []\n');
    expect(issues.map((issue) => issue.path)).toEqual(['default.partner', 'default.factor']);
  });

  it('reports every problem in one pass, in file order', () => {
    const issues = issuesOf(
      'default: allow\npolicies:\n  - { name: a, state: on, outcome: deny }\n  - { name: a, state: enabled, outcome: allow, require: sms }\n',
    );
    expect(issues.map((issue) => issue.line)).toEqual([3, 4, 4]);
  });
});

describe('loadPolicySet', () => {
  it('throws a PolicyFileError with a stable code and every issue', () => {
    let caught: unknown;
    try {
      loadPolicySet(onePolicy('state: enable\noutcome: deny'), FILE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyFileError);
    expect(caught).toBeInstanceOf(LatchkeyError);
    const error = caught as PolicyFileError;
    expect(error.code).toBe('ERR_POLICY_FILE_INVALID');
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain('config/policies.yaml:4:12: policies[0].state (policy "p1"): must be one of');
  });
});
