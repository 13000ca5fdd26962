// Windows: the device key and certificate go into the user's Personal store (key not exportable), the
// intermediate into the user's Intermediate Certification Authorities; Chrome and Edge get their
// AutoSelectCertificateForUrls rule in the registry (HKLM when elevated, else HKCU); a scheduled task runs
// `renew --check` daily. Firefox reads the Windows store by itself (security.osclientcerts.autoload).
// Built as a plan (plan.ts): this machine has no certutil.exe, reg.exe or schtasks.exe, so the exact
// commands are unit-tested.
import path from 'node:path';
import type { CertificateFacts } from './facts.js';
import type { Plan, Step } from './plan.js';

export const WINDOWS_TASK = '\\Latchkey\\Device certificate renewal';
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

/**
 * The value name for the agent's rule from `reg query KEY` output: the value already holding a rule for
 * `origin`, else the first number from 1 not in use (so the list stays without gaps).
 */
export function registryRuleIndex(regQueryOutput: string, origin: string): number {
  const used = new Map<number, string>();
  for (const line of regQueryOutput.split(/\r?\n/)) {
    const match = /^\s+(\d+)\s+REG_SZ\s+(.*)$/.exec(line);
    if (match) used.set(Number(match[1]), match[2]!);
  }
  for (const [index, data] of used) if (data.includes(`"pattern":"${origin}"`)) return index;
  let index = 1;
  while (used.has(index)) index++;
  return index;
}

export function windowsInstallPlan(certificate: CertificateFacts, facts: WindowsFacts): Plan {
  const p12 = path.win32.join(facts.tempDir, 'device.p12');
  const intermediates = certificate.chainDer.map((_, index) => path.win32.join(facts.tempDir, `ca-${index}.cer`));
  const steps: Step[] = [];
  if (facts.previousThumbprint) {
    steps.push({
      ...run('certutil', ['-user', '-delstore', 'My', facts.previousThumbprint], 'remove the previous certificate'),
      mayFail: true,
    });
  }
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
      run(
        'certutil',
        ['-user', '-f', '-addstore', 'CA', intermediates[index]!],
        'add the intermediate to Intermediate Certification Authorities',
      ),
    ]),
    ...(['chrome', 'edge'] as const).map((browser) =>
      run(
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
    run(
      'schtasks',
      ['/Create', '/F', '/TN', WINDOWS_TASK, '/SC', 'DAILY', '/ST', '10:00', '/TR', taskCommand(facts.agentCommand)],
      'daily renewal',
    ),
  );
  return {
    steps,
    cleanup: [p12, ...intermediates].map((file) => ({ kind: 'delete', path: file, why: 'delete a staged file' })),
  };
}

export function windowsRemovePlan(
  certificate: Pick<CertificateFacts, 'thumbprint' | 'chainThumbprints'>,
  facts: Pick<WindowsFacts, 'elevated' | 'ruleIndex'>,
): Plan {
  const optional = (command: string, args: string[], why: string): Step => ({
    ...run(command, args, why),
    mayFail: true,
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
      ...(['chrome', 'edge'] as const).map((browser) =>
        optional(
          'reg',
          ['delete', windowsPolicyKey(browser, facts.elevated), '/v', String(facts.ruleIndex[browser]), '/f'],
          `remove the ${browser} auto-select rule`,
        ),
      ),
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

function run(command: string, args: string[], why: string): Extract<Step, { kind: 'run' }> {
  return { kind: 'run', command, args, why };
}
