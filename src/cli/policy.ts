// `latchkey policy check|what-if|reload`: validate a policy file, predict how a sign-in described on the
// command line ends (what-if.ts: the sign-in's own logic), and make the published set in force on every
// node (reload).
import type { Command } from 'commander';
import { countPolicies, publishPolicyFile, readPolicyFile, resolvePolicyFile } from '../interactions/policy-source.js';
import { describePolicyIssue, problemCount } from '../server/policy-issues.js';
import { describeRollout } from '../admin/policies.js';
import { withAdmin } from './admin-services.js';
import { LatchkeyError } from '../errors.js';
import { summarisePolicySet } from '../policies/index.js';
import { readConfig, type GlobalOptions } from './common.js';
import { registerWhatIf } from './what-if.js';

export function registerPolicyCommands(program: Command, globals: () => GlobalOptions): void {
  const policy = program.command('policy').description('conditional-access policies');

  policy
    .command('check [file]')
    .description('validate a policy file (default: the configured one) and summarise it')
    .action((file: string | undefined) => {
      const target = file ?? resolvePolicyFile(readConfig(globals()).policies.file);
      const result = readPolicyFile(target);
      if (!result.ok) {
        for (const issue of result.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
        throw new LatchkeyError('ERR_POLICY_FILE_INVALID', `${problemCount(result.issues)} in ${target}`);
      }
      process.stdout.write(`${target ?? 'built-in policies'}: OK\n${summarisePolicySet(result.policySet)}\n`);
    });

  registerWhatIf(policy, globals);

  policy
    .command('reload')
    .description(
      'validate the configured policy file and publish it: every node applies it within cluster.poll_seconds',
    )
    .option('--built-in', 'publish the built-in set when no policy file is configured, replacing a published file')
    .action((options: { builtIn?: boolean }) =>
      withAdmin(globals(), async (admin, s) => {
        const file = resolvePolicyFile(s.config.policies.file);
        const result = await publishPolicyFile(file, s.policySets, 'cli', { builtIn: options.builtIn === true });
        if (!result.ok) {
          for (const issue of result.issues) process.stderr.write(describePolicyIssue(issue) + '\n');
          throw new LatchkeyError(
            'ERR_POLICY_FILE_INVALID',
            `not published: ${problemCount(result.issues)} in ${result.source}; every node keeps the set in force`,
          );
        }
        process.stdout.write(
          `${result.source}: ${countPolicies(result.policies)}, ${result.changed ? 'published as' : 'already in force as'} version ${result.version}\n`,
        );
        process.stdout.write(`${describeRollout(await admin.policies.waitForNodes(result.version))}\n`);
      }),
    );
}
