// Process entry of the server: load configuration, build the app, listen, say what to do next, and shut
// down gracefully on SIGTERM/SIGINT.
import { loadConfig } from '../config/load.js';
import { isLatchkeyError } from '../errors.js';
import { createLogger } from '../log.js';
import type { PolicyFileIssue } from '../policies/index.js';
import { describePolicyIssue, problemCount } from './policy-issues.js';
import { redactUrl } from './services.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.log.level);
  // Imported once the configuration is known good: on Node 20 oidc-provider's import prints its
  // "Unsupported runtime" warning, which belongs to a server that starts, not to a configuration error.
  const { createApp } = await import('./app.js');
  const app = await createApp(config, log);
  const port = await app.listen();
  const { services, tls } = app;
  if (services.masterKey.origin === 'dev-file') {
    log.warn(
      { file: services.masterKey.file },
      'using a generated development master key: set LATCHKEY_MASTER_KEY in production',
    );
  }
  if (tls.devCertFile) {
    log.warn(
      { file: tls.devCertFile },
      'serving a generated DEVELOPMENT TLS certificate: set server.tls.cert_file/key_file in production',
    );
  }
  const storage = config.database.url
    ? `PostgreSQL ${redactUrl(config.database.url)}`
    : `SQLite ${config.dataDirAbsolute}/latchkey.sqlite`;
  log.info(
    {
      issuer: config.issuer,
      port,
      deviceCheckPort: app.deviceCheckPort,
      deviceCheckUrl: services.deviceTrust.deviceCheckUrl,
      scepPlainHttpPort: app.scepPlainHttpPort,
      storage,
      sessions: config.redis.url ? 'redis' : 'sql',
    },
    'Latchkey is listening',
  );
  const policies = app.initialPolicies;
  if (policies.ok) {
    process.stdout.write(banner(config.issuer, storage, tls.devCertFile));
  } else {
    // Listening, but every sign-in fails closed and /readyz says 503: say so, and how to get out of it.
    log.error({ source: policies.source }, 'Latchkey is not ready: the policy file did not load');
    process.stdout.write(notReadyBanner(config.issuer, policies.source, policies.issues));
  }

  let readyOnce = policies.ok;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP (like `latchkey policy reload`): publish this node's policy file to every node; a bad file is
  // refused and the set in force stays. A reload must never take the server down.
  process.on('SIGHUP', () => {
    const wasReady = readyOnce;
    app.reloadPolicies().then(
      (result) => {
        if (!result.ok) return log.error({ source: result.source }, 'policy file rejected: the set in force stays');
        log.info({ source: result.source, version: result.version }, 'policy file published');
        if (!wasReady) process.stdout.write(`\n  Latchkey is ready: policies loaded from ${result.source}.\n\n`);
        readyOnce = true;
      },
      (error: unknown) => log.error({ err: error }, 'policy reload failed'),
    );
  });
}

function notReadyBanner(issuer: string, source: string, issues: readonly PolicyFileIssue[]): string {
  const shown = issues.slice(0, 5).map((issue) => `      ${describePolicyIssue(issue)}`);
  if (issues.length > shown.length) shown.push(`      ... and ${issues.length - shown.length} more`);
  return `
  Latchkey is listening at ${issuer} but is NOT READY: the policy file did not load,
  so every sign-in is refused and /readyz answers 503.
    ${source} has ${problemCount(issues)}:
${shown.join('\n')}

  Fix the file, check it with   npx latchkey policy check
  then load it without a restart: npx latchkey policy reload   (or restart the server)

`;
}

function banner(issuer: string, storage: string, devCertFile: string | undefined): string {
  return `
  Latchkey is running.
    issuer:     ${issuer}
    discovery:  ${issuer}/.well-known/openid-configuration
    storage:    ${storage}${devCertFile ? `\n    TLS:        development certificate ${devCertFile} (browsers will warn)` : ''}

  Next steps (in another terminal):
    npx latchkey users add alice --email alice@example.com      # asks for a password
    npx latchkey users totp-enroll alice                        # optional second factor
    npx latchkey clients add --name "Sample app" --redirect-uri http://localhost:3000/callback
  See README.md for signing in with a sample relying party.

`;
}

main().catch((error: unknown) => {
  if (isLatchkeyError(error)) {
    process.stderr.write(`latchkey: ${error.message}\n`);
    process.exit(error.code === 'ERR_CONFIG_INVALID' ? 2 : 1);
  }
  process.stderr.write(`latchkey: failed to start: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
