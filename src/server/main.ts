// Process entry of the server: load configuration, build the app, listen, say what to do next, and shut
// down gracefully on SIGTERM/SIGINT.
import { removePidFile, writePidFile } from './pid-file.js';
import { createApp } from './app.js';
import { loadConfig } from '../config/load.js';
import { isLatchkeyError } from '../errors.js';
import { createLogger } from '../log.js';
import { redactUrl } from './services.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.log.level);
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
  process.stdout.write(banner(config.issuer, storage, tls.devCertFile));

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
  // SIGHUP (or `latchkey policy reload`): read the policy file again; a bad file keeps the last good set.
  process.on('SIGHUP', () => {
    try {
      const result = app.reloadPolicies();
      if (result.ok) log.info({ source: result.source, policies: result.policies }, 'policies reloaded');
    } catch (error) {
      // A reload must never take the server down: the last good policy set stays in force.
      log.error({ err: error }, 'policy reload failed');
    }
  });
  writePidFile(config.dataDirAbsolute);
  process.on('exit', () => removePidFile(config.dataDirAbsolute));
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
