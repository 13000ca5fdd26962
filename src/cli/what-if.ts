// `latchkey policy what-if`: predicts how a sign-in described on the command line ends (admin/what-if.ts:
// the sign-in's own logic, with the user's real enrolled methods), over the published set or a file.
import path from 'node:path';
import type { Command } from 'commander';
import { whatIf, whatIfText, whatIfToJson, type WhatIfOptions } from '../admin/what-if.js';
import { LatchkeyError } from '../errors.js';
import { describePolicyIssue } from '../server/policy-issues.js';
import type { Services } from '../server/services.js';
import { AUTH_METHODS, CLIENT_TYPES, DEVICE_TRUST_LEVELS, PLATFORMS } from '../policies/index.js';
import { collect, withServices, type GlobalOptions } from './common.js';

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
    .action(async (options: WhatIfOptions & { file?: string; json?: boolean }) => {
      process.stdout.write(await withServices(globals(), (s) => runWhatIf(s, options), {}));
    });
}

async function runWhatIf(s: Services, options: WhatIfOptions & { file?: string; json?: boolean }): Promise<string> {
  // Loaded here: the country database, the access code and the methods are only for this command.
  const [{ openAccess }, { signInMethods }, { openPasskeys }, { PACKAGE_ROOT }] = await Promise.all([
    import('../interactions/open.js'),
    import('../server/sign-in-methods.js'),
    import('../server/passkeys.js'),
    import('../config/load.js'),
  ]);
  const { policies, countries, initial } = await openAccess(s, { file: options.file });
  if (!initial.ok) {
    for (const issue of initial.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
    throw new LatchkeyError('ERR_POLICY_FILE_INVALID', `the policy file ${initial.source} is invalid`);
  }
  // The same methods as the server, passkeys included (their ceremonies never run here).
  const passkeys = await openPasskeys(s, path.join(PACKAGE_ROOT, 'src', 'views', 'static'));
  const { methods } = signInMethods(s, undefined, passkeys.methods);
  const result = await whatIf({ ...s, policies, countries, methods, adminGroup: s.config.admin.group }, options);
  return options.json ? JSON.stringify(whatIfToJson(result)) + '\n' : whatIfText(result);
}
