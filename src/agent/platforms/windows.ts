// Windows: the device key and certificate go into the user's Personal store (key not exportable), the
// intermediate into the user's Intermediate Certification Authorities; Chrome and Edge get their
// AutoSelectCertificateForUrls rule in the registry (HKLM when elevated, else HKCU); a scheduled task runs
// `renew --check` daily. Firefox reads the Windows store by itself (security.osclientcerts.autoload).
// Built as a plan (plan.ts): this machine has no certutil.exe, reg.exe or schtasks.exe, so the exact
// commands are unit-tested.
import path from 'node:path';
import { InvalidInputError } from '../../errors.js';
import type { CertificateFacts } from './facts.js';
import { command, optional, type Plan, type Step } from './plan.js';

export const WINDOWS_TASK = '\\Latchkey\\Device certificate renewal';
/** schtasks /TR takes at most 261 characters. */
const MAX_TASK_COMMAND = 261;
const POLICY_KEYS = {
  chrome: 'SOFTWARE\\Policies\\Google\\Chrome\\AutoSelectCertificateForUrls',
  edge: 'SOFTWARE\\Policies\\Microsoft\\Edge\\AutoSelectCertificateForUrls',
} as const;
export type WindowsBrowser = keyof typeof POLICY_KEYS;

export interface WindowsFacts {
  /** Running elevated: policies go to HKLM (all users), else HKCU. */
  elevated: boolean;
  pkcs12: Uint8Array;
  pkcs12Password: string;
  tempDir: string;
  agentCommand: string[];
  /**
   * The value name the rule takes in each browser's list key: Chrome and Edge read a list policy as values
   * "1", "2", … up to the first gap, so it is the agent's earlier value or the first free number.
   */
  ruleIndex: Record<WindowsBrowser, number>;
  previousThumbprint?: string;
}

/** The registry key holding a browser's auto-select list, in the hive the agent writes. */
export function windowsPolicyKey(browser: WindowsBrowser, elevated: boolean): string {
  return `${elevated ? 'HKLM' : 'HKCU'}\\${POLICY_KEYS[browser]}`;
}

/** The numbered values of a list policy key, from `reg query KEY` output. */
export function registryList(regQueryOutput: string): Map<number, string> {
  const values = new Map<number, string>();
  for (const line of regQueryOutput.split(/\r?\n/)) {
    const match = /^\s+(\d+)\s+REG_SZ\s+(.*)$/.exec(line);
    if (match) values.set(Number(match[1]), match[2]!);
  }
  return values;
}

/** The value holding the agent's rule for `origin`, if any. */
function ruleFor(values: Map<number, string>, origin: string): number | undefined {
  for (const [index, data] of values) if (data.includes(`"pattern":"${origin}"`)) return index;
  return undefined;
}

/**
 * The value name for the agent's rule: the value already holding a rule for `origin`, else the first
 * number from 1 not in use (so the list stays without gaps).
 */
export function registryRuleIndex(regQueryOutput: string, origin: string): number {
  const values = registryList(regQueryOutput);
  const ours = ruleFor(values, origin);
  if (ours !== undefined) return ours;
  let index = 1;
  while (values.has(index)) index++;
  return index;
}

/**
 * How to take the agent's rule out of the list without leaving a gap (Chrome stops reading at the first
 * one): the last value moves into the agent's slot. Null when the list holds no rule of the agent's.
 */
export interface RegistryRemoval {
  index: number;
  /** The last value of the list and its data, when it is not the agent's own. */
  last?: { index: number; data: string };
}

export function registryRemoval(regQueryOutput: string, origin: string): RegistryRemoval | null {
  const values = registryList(regQueryOutput);
  const index = ruleFor(values, origin);
  if (index === undefined) return null;
  let last = index;
  while (values.has(last + 1)) last++;
  return last === index ? { index } : { index, last: { index: last, data: values.get(last)! } };
}

export function windowsInstallPlan(certificate: CertificateFacts, facts: WindowsFacts): Plan {
  const p12 = path.win32.join(facts.tempDir, 'device.p12');
  const intermediates = certificate.chainDer.map((_, index) => path.win32.join(facts.tempDir, `ca-${index}.cer`));
  const task = taskCommand(facts.agentCommand);
  if (task.length > MAX_TASK_COMMAND) {
    throw new InvalidInputError(
      'ERR_AGENT_TASK_COMMAND',
      `the renewal task's command line is ${task.length} characters, more than schtasks takes (${MAX_TASK_COMMAND}): ` +
        'install the agent or keep its state in a shorter path (--state-dir)',
    );
  }
  const steps: Step[] = [];
  steps.push(
    { kind: 'write', path: p12, contents: facts.pkcs12, mode: 0o600, why: 'stage the key and chain for import' },
    {
      kind: 'run',
      command: 'certutil',
      args: ['-user', '-f', '-p', facts.pkcs12Password, '-importPFX', 'My', p12, 'NoRoot,NoExport'],
      secretArgs: [3],
      why: 'import the device key (not exportable) and certificate into the Personal store',
    },
    ...certificate.chainDer.flatMap((der, index): Step[] => [
      { kind: 'write', path: intermediates[index]!, contents: der, mode: 0o644, why: 'stage the intermediate' },
      command(
        'certutil',
        ['-user', '-f', '-addstore', 'CA', intermediates[index]!],
        'add the intermediate to Intermediate Certification Authorities',
      ),
    ]),
    ...(['chrome', 'edge'] as const).map((browser) =>
      command(
        'reg',
        [
          'add',
          windowsPolicyKey(browser, facts.elevated),
          '/v',
          String(facts.ruleIndex[browser]),
          '/t',
          'REG_SZ',
          '/d',
          certificate.autoSelectRule,
          '/f',
        ],
        `let ${browser === 'chrome' ? 'Google Chrome' : 'Microsoft Edge'} pick the device certificate by itself`,
      ),
    ),
    command(
      'schtasks',
      ['/Create', '/F', '/TN', WINDOWS_TASK, '/SC', 'DAILY', '/ST', '10:00', '/TR', task],
      'daily renewal',
    ),
  );
  // The previous certificate goes only once the new one is in place (their thumbprints always differ).
  if (facts.previousThumbprint) {
    steps.push(
      optional('certutil', ['-user', '-delstore', 'My', facts.previousThumbprint], 'remove the previous certificate'),
    );
  }
  return {
    steps,
    cleanup: [p12, ...intermediates].map((file) => ({ kind: 'delete', path: file, why: 'delete a staged file' })),
  };
}

export function windowsRemovePlan(
  certificate: Pick<CertificateFacts, 'thumbprint' | 'chainThumbprints'>,
  facts: { elevated: boolean; removal: Record<WindowsBrowser, RegistryRemoval | null> },
): Plan {
  const registry = (['chrome', 'edge'] as const).flatMap((browser): Step[] => {
    const removal = facts.removal[browser];
    if (!removal) return [];
    const key = windowsPolicyKey(browser, facts.elevated);
    const why = `remove the ${browser} auto-select rule`;
    if (!removal.last) return [command('reg', ['delete', key, '/v', String(removal.index), '/f'], why)];
    return [
      command(
        'reg',
        ['add', key, '/v', String(removal.index), '/t', 'REG_SZ', '/d', removal.last.data, '/f'],
        `${why}: the last rule moves into its place`,
      ),
      command('reg', ['delete', key, '/v', String(removal.last.index), '/f'], `${why}: so the list keeps no gap`),
    ];
  });
  return {
    steps: [
      optional(
        'certutil',
        ['-user', '-delstore', 'My', certificate.thumbprint],
        'remove the device certificate and key',
      ),
      ...certificate.chainThumbprints.map((thumbprint) =>
        optional('certutil', ['-user', '-delstore', 'CA', thumbprint], 'remove the intermediate'),
      ),
      ...registry,
      optional('schtasks', ['/Delete', '/F', '/TN', WINDOWS_TASK], 'remove the renewal task'),
    ],
    cleanup: [],
  };
}

/** The /TR command line: each argument in double quotes (Windows paths have spaces), then the verb. */
function taskCommand(agentCommand: readonly string[]): string {
  return [...agentCommand, 'renew', '--check']
    .map((arg) => (/[\s"]/.test(arg) ? `"${arg.replaceAll('"', '\\"')}"` : arg))
    .join(' ');
}
