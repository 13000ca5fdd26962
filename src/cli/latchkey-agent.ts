// The `latchkey-agent` command on a device: flags in, src/agent/workflow.ts does the work, its lines out
// and its exit code back (documented in docs/device-trust.md; stable for cron and systemd). Output goes to
// stdout on success and to stderr otherwise.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectBrowsers, FIREFOX_POLICY_DIR } from '../agent/browsers.js';
import { agentEnvironment, agentPlatform, type AgentOptions } from '../agent/environment.js';
import { AGENT_EXIT } from '../agent/exit-codes.js';
import { defaultNssDir } from '../agent/nss.js';
import { defaultStateDir } from '../agent/state.js';
import {
  type AgentEnvironment,
  type AgentReport,
  enroll,
  doctor,
  exportP12,
  installTimer,
  passkeyLink,
  policy,
  reinstall,
  remove,
  removeTimer,
  renew,
  status,
} from '../agent/workflow.js';
import { InvalidInputError, isLatchkeyError } from '../errors.js';
import { readSecret } from './secret.js';

type AgentGlobals = AgentOptions;

export function buildAgentProgram(): Command {
  const program = new Command('latchkey-agent')
    .description('Latchkey device agent: enroll this device, renew its certificate and install it for browsers')
    .option('--state-dir <dir>', 'where the device key and certificates are kept', defaultStateDir())
    .option('--nss-dir <dir>', 'NSS database to install the certificate into', defaultNssDir())
    .option('--no-nss', 'do not use the NSS database (~/.pki/nssdb)')
    .option(
      '--policy-dir <dir>',
      'Chrome/Chromium managed policy directory (default: that of every Chromium, Google Chrome and Edge found)',
    )
    .option('--no-policy', 'do not write the browser auto-select policies')
    .option(
      '--firefox-policy-dir <dir>',
      `Firefox system policy directory (default ${FIREFOX_POLICY_DIR} when Firefox is installed)`,
    )
    .option('--no-firefox', "leave Firefox's profiles and policies alone")
    .showHelpAfterError()
    .exitOverride();
  const env = () => environment(program.opts<AgentGlobals>());

  program
    .command('enroll')
    .description('generate a key, get a device certificate with an enrollment token, install it')
    .requiredOption('--server <url>', 'Latchkey URL (the issuer), e.g. https://id.example.com')
    .requiredOption('--token <token>', 'enrollment token from your administrator')
    .option('--ca-file <file>', "extra CA certificate (PEM) for the server's TLS certificate, e.g. a development one")
    .option('--device-check-url <url>', 'device-check URL if the server does not send one')
    .action(async (options: { server: string; token: string; caFile?: string; deviceCheckUrl?: string }) => {
      const serverCaPem = options.caFile ? await readCaFile(options.caFile) : undefined;
      const request = { serverUrl: secureServerUrl(options.server), token: options.token, serverCaPem };
      finish(await enroll({ ...request, deviceCheckUrl: options.deviceCheckUrl }, env()));
    });

  program
    .command('renew')
    .description('renew the certificate over mutual TLS once renewal is due (exits 0 when not due)')
    .option('--force', 'ask for renewal even before it is due locally (the server still decides)')
    .option('--new-key', 'generate a new key for the renewed certificate')
    .option('--check', 'when not due, still ask the server (learns at once that distribution is off)')
    .action(async (options: { force?: boolean; newKey?: boolean; check?: boolean }) => {
      finish(await renew({ force: options.force, newKey: options.newKey, checkServer: options.check }, env()));
    });

  program
    .command('status')
    .description('enrollment, certificate validity and renewal window')
    .action(async () => finish(await status(env())));

  program
    .command('remove')
    .description('delete the certificate, key and browser policy this agent installed')
    .action(async () => finish(await remove(env())));

  program
    .command('export-p12')
    .description('write key and chain as a password-protected PKCS#12 (macOS Keychain, Windows)')
    .requiredOption('--out <file>', 'file to write (mode 0600)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: { out: string; passwordStdin?: boolean }) => {
      const password = await readSecret('PKCS#12 password: ', Boolean(options.passwordStdin));
      finish(await exportP12({ out: options.out, password }, env()));
    });

  program
    .command('passkey-link')
    .description('print a one-time link that registers a passkey bound to this device (open it in a browser here)')
    .action(async () => finish(await passkeyLink(env())));

  const timerEnv = (options: { user?: boolean }) => ({
    ...env(),
    system: process.getuid?.() === 0 && !options.user,
    configHome: process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'),
  });
  program
    .command('install')
    .description('install the stored certificate again where the browsers look (e.g. after installing a browser)')
    .action(async () => finish(await reinstall(env())));
  program
    .command('doctor')
    .description('check that the certificate is where each browser looks and that the server accepts it')
    .action(async () => finish(await doctor(timerEnv({}))));

  program
    .command('install-timer')
    .description('renew daily with a systemd timer (a user timer; a system timer when run as root)')
    .option('--user', 'a user timer even when run as root')
    .action(async (options: { user?: boolean }) => finish(await installTimer(timerEnv(options))));
  program
    .command('remove-timer')
    .description('stop and delete the daily renewal timer')
    .option('--user', 'the user timer even when run as root')
    .action(async (options: { user?: boolean }) => finish(await removeTimer(timerEnv(options))));

  program
    .command('policy')
    .description('(re)write only the browser auto-select policies (Chromium family, Firefox), e.g. as root')
    .action(async () => {
      if (!program.opts<AgentGlobals>().policy) {
        throw new InvalidInputError('ERR_USAGE_POLICY', '"policy" writes the browser policies: drop --no-policy');
      }
      finish(await policy(env()));
    });
  return program;
}

function environment(options: AgentGlobals): AgentEnvironment {
  const platform = agentPlatform(process.platform);
  return agentEnvironment(options, {
    platform,
    browsers: platform === 'linux' ? detectBrowsers() : { chromiumFamily: [], firefox: false },
    home: os.homedir(),
    uid: process.getuid?.() ?? 0,
    agentCommand: [process.execPath, process.argv[1] ? realpathSync(process.argv[1]) : 'latchkey-agent'],
  });
}

/** The server URL, refusing plain http (the token and the key's certificate would travel in clear). */
export function secureServerUrl(value: string): string {
  if (!URL.canParse(value)) throw new InvalidInputError('ERR_USAGE_SERVER', `--server must be a URL, not "${value}"`);
  const url = new URL(value);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InvalidInputError('ERR_USAGE_SERVER', `--server must be an https URL, not "${value}"`);
  }
  return value;
}

async function readCaFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      'ERR_USAGE_FILE',
      `cannot read --ca-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Prints the report (stdout when it succeeded, else stderr) and exits with its code. */
function finish(report: AgentReport): never {
  const out = report.exitCode === AGENT_EXIT.ok ? process.stdout : process.stderr;
  for (const line of report.lines) out.write(`${line}\n`);
  process.exit(report.exitCode);
}

try {
  await buildAgentProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? AGENT_EXIT.ok : AGENT_EXIT.localError);
  const message = isLatchkeyError(error) || error instanceof Error ? error.message : String(error);
  process.stderr.write(`latchkey-agent: ${message}\n`);
  process.exit(AGENT_EXIT.localError);
}
