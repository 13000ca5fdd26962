// The `latchkey` admin command: users, groups, clients, keys, configuration and audit. Every command has
// --help, reads the same configuration as the server, and exits non-zero with a one-line reason.
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerApiTokenCommands } from './api-tokens.js';
import { registerClientCommands } from './clients.js';
import { fail, EXIT_USAGE, type GlobalOptions } from './common.js';
import { registerDeviceCommands } from './devices.js';
import { registerPasskeyCommands } from './passkeys.js';
import { registerPolicyCommands } from './policy.js';
import { registerScepCommands } from './scep.js';
import { registerUserCommands } from './users.js';

export function buildProgram(): Command {
  const program = new Command('latchkey')
    .description('Latchkey identity provider administration')
    .option('-c, --config <file>', 'extra configuration file (default: $LATCHKEY_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  registerUserCommands(program, globals);
  registerClientCommands(program, globals);
  registerAdminCommands(program, globals);
  registerDeviceCommands(program, globals);
  registerPolicyCommands(program, globals);
  registerScepCommands(program, globals);
  registerApiTokenCommands(program, globals);
  registerPasskeyCommands(program, globals);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  fail(error);
}
