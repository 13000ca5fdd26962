// `latchkey policy check|what-if|reload`: validate a policy file, predict how a sign-in described on the
// command line ends (what-if.ts: the sign-in's own logic), and make the published set in force on every
// node (reload).
import type { Command } from 'commander';
import { countPolicies, publishPolicyFile, readPolicyFile, resolvePolicyFile } from '../interactions/policy-source.js';
import { describePolicyIssue, problemCount } from '../server/policy-issues.js';
import type { Services } from '../server/services.js';
import { liveWindowMs } from '../store/cluster.js';
import { LatchkeyError } from '../errors.js';
import { summarisePolicySet } from '../policies/index.js';
import { readConfig, withServices, type GlobalOptions } from './common.js';
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
      withServices(globals(), async (s) => {
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
        process.stdout.write(`${await waitForNodes(s, result.version)}\n`);
      }),
    );
}

/** Waits (up to three polls) until every live node applied `version`; says how many did. */
async function waitForNodes(s: Services, version: number): Promise<string> {
  const pollMs = s.config.cluster.poll_seconds * 1000;
  const deadline = Date.now() + 3 * pollMs + 1000;
  for (;;) {
    const nodes = await s.nodes.live(Date.now() - liveWindowMs(s.config.cluster.poll_seconds));
    const applied = nodes.filter((node) => (node.policyVersion ?? 0) >= version);
    if (nodes.length === 0) return 'no running node is registered: nodes apply it when they start';
    if (applied.length === nodes.length || Date.now() > deadline) {
      const missing = nodes.filter((node) => !applied.includes(node)).map((node) => `${node.hostname}/${node.pid}`);
      return `applied by ${applied.length} of ${nodes.length} live node(s)${missing.length ? `; not yet: ${missing.join(', ')}` : ''}`;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, 500)));
  }
}
