// `latchkey ca ...`, `latchkey devices ...` and `latchkey certs ...`: the device CA, enrollment tokens,
// devices, their certificates, revocation and the distribution switch. Every change is audited (actor
// "cli") by the device-trust service; errors are one line with a non-zero exit, as everywhere.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Argument, type Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import { parseDuration } from '../policies/duration.js';
import type { DeviceCertificateRecord } from '../store/device-trust.js';
import type { CaCertificateSummary, CaSummary } from '../trust/service/ca-admin.js';
import type { Services } from '../server/services.js';
import { isoTime, printTable, withServices, type GlobalOptions } from './common.js';

const CLI = { actor: 'cli' };

/** The stores with the device-trust service, which only these commands load (see withServices). */
export function withDeviceTrust<T>(options: GlobalOptions, work: (services: Services) => Promise<T>): Promise<T> {
  return withServices(options, work, { deviceTrust: true });
}

export function registerDeviceCommands(program: Command, globals: () => GlobalOptions): void {
  registerCaCommands(program, globals);
  registerDevicesCommands(program, globals);
  registerCertsCommands(program, globals);
}

function registerCaCommands(program: Command, globals: () => GlobalOptions): void {
  const ca = program.command('ca').description('the device CA that issues device certificates');
  ca.command('init')
    .description('create a root and an intermediate CA (ECDSA P-384), keys sealed under the master key')
    .option('--force', 'replace an existing CA (every device must enroll again)')
    .action((options: { force?: boolean }) =>
      withDeviceTrust(globals(), async (s) => {
        printCa(await s.deviceTrust.initCa({ force: options.force, ...CLI }), 'created');
      }),
    );
  ca.command('import')
    .description("use an organisation's root and intermediate CA instead")
    .requiredOption('--root <file>', 'root CA certificate (PEM)')
    .requiredOption('--intermediate <file>', 'intermediate CA certificate (PEM), signed by the root')
    .requiredOption('--key <file>', "the intermediate's private key (PEM, not encrypted)")
    .option('--force', 'replace an existing CA (every device must enroll again)')
    .action((options: { root: string; intermediate: string; key: string; force?: boolean }) => {
      const input = {
        rootPem: readInput(options.root, '--root'),
        intermediatePem: readInput(options.intermediate, '--intermediate'),
        intermediateKeyPem: readInput(options.key, '--key'),
      };
      return withDeviceTrust(globals(), async (s) => {
        printCa(await s.deviceTrust.importCa({ ...input, force: options.force, ...CLI }), 'imported');
      });
    });
  ca.command('rotate-intermediate')
    .description(
      'issue a new intermediate from the root (its key must be held); the previous one stays trusted until its last certificate expires',
    )
    .action(() =>
      withDeviceTrust(globals(), async (s) => {
        printCa(await s.deviceTrust.rotateIntermediate(CLI), 'rotated');
        process.stdout.write(
          'devices move to the new intermediate at their next renewal; the previous one is retired once its certificates have expired\n',
        );
      }),
    );
  ca.command('show')
    .description('subjects, SHA-256 fingerprints and validity of the CA in use')
    .option('--pem', 'print the root and intermediate certificates as PEM instead (for other verifiers)')
    .action((options: { pem?: boolean }) =>
      withDeviceTrust(globals(), async (s) => {
        const summary = await s.deviceTrust.showCa();
        if (!summary) throw new InvalidInputError('ERR_CA_NOT_INITIALIZED', 'no device CA yet: run "latchkey ca init"');
        if (options.pem) {
          const { joinPem } = await import('../trust/pem.js');
          process.stdout.write(joinPem([summary.rootPem, summary.intermediatePem]));
        } else printCa(summary);
      }),
    );
}

function registerDevicesCommands(program: Command, globals: () => GlobalOptions): void {
  const devices = program.command('devices').description('enrolled devices, enrollment tokens, distribution');
  devices
    .command('enroll-token <username>')
    .description('create a single-use enrollment token for a user (printed once)')
    .option('--ttl <duration>', 'how long it stays usable, e.g. 30m, 1h, 7d (default: device_trust setting)')
    .option('--json', 'print {token, username, expiresAt} as JSON')
    .action((username: string, options: { ttl?: string; json?: boolean }) =>
      withDeviceTrust(globals(), async (s) => {
        const ttlSeconds = options.ttl === undefined ? undefined : ttl(options.ttl);
        const created = await s.deviceTrust.createEnrollmentToken(username, { ttlSeconds, ...CLI });
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...created, expiresAt: created.expiresAt.toISOString() })}\n`);
          return;
        }
        process.stdout.write(
          `enrollment token for ${created.username}, single use, valid until ${isoTime(created.expiresAt.getTime())} (shown once):\n` +
            `${created.token}\n` +
            agentInstructions(s.config, created.token),
        );
      }),
    );
  devices
    .command('list')
    .description('enrolled devices, newest first')
    .option('--user <username>', "only this user's devices")
    .action((options: { user?: string }) =>
      withDeviceTrust(globals(), async (s) => {
        printTable(
          ['ID', 'USER', 'PLATFORM', 'OS', 'HOSTNAME', 'SOURCE', 'INTEGRITY', 'STATUS', 'ENROLLED', 'LAST SEEN'],
          (await s.deviceTrust.listDevices({ username: options.user })).map((d) => [
            d.id,
            d.username ?? d.userId,
            d.platform,
            d.osVersion,
            d.hostname,
            d.source,
            d.integrity,
            d.status,
            isoTime(d.enrolledAt),
            isoTime(d.lastSeenAt),
          ]),
        );
      }),
    );
  devices
    .command('show <id>')
    .description('one device and every certificate it was issued')
    .action((id: string) =>
      withDeviceTrust(globals(), async (s) => {
        const d = await s.deviceTrust.device(id);
        const revoked = d.revokedAt
          ? `revoked ${isoTime(d.revokedAt)} (${d.revokedReason ?? 'unspecified'})`
          : d.status;
        const lines = [
          ['id', d.id],
          ['user', d.username ?? d.userId],
          ['platform', `${d.platform} ${d.osVersion ?? ''}`.trim()],
          ['hostname', d.hostname ?? '-'],
          ['managed', d.managed ? 'yes' : 'no'],
          ['source', d.source === 'scep' ? 'SCEP (MDM)' : 'agent'],
          ['integrity', d.integrity],
          ['status', revoked],
          ['enrolled', isoTime(d.enrolledAt)],
          ['last seen', isoTime(d.lastSeenAt)],
        ];
        for (const [key, value] of lines) process.stdout.write(`${key!.padEnd(10)} ${value}\n`);
        process.stdout.write('\n');
        printCertificates(d.certificates, Date.now());
      }),
    );
  devices
    .command('revoke <id>')
    .description('revoke a device and all its certificates (takes effect at the next device check)')
    .option('--reason <reason>', 'RFC 5280 reason, e.g. keyCompromise', 'cessationOfOperation')
    .action((id: string, options: { reason: string }) =>
      withDeviceTrust(globals(), async (s) => {
        const count = await s.deviceTrust.revokeDevice(id, { reason: options.reason, ...CLI });
        process.stdout.write(`revoked device ${id} and ${count} certificate(s) (${options.reason})\n`);
      }),
    );
  devices
    .command('renew-now <id>')
    .description('let a device renew its certificate now instead of at its renewal window (e.g. after a CA change)')
    .action((id: string) =>
      withDeviceTrust(globals(), async (s) => {
        const at = await s.deviceTrust.renewNow(id, CLI);
        process.stdout.write(
          `device ${id} may renew its certificate from ${isoTime(at.getTime())}: the agent does at its next ` +
            '"latchkey-agent renew --check", or at once with "latchkey-agent renew --force" on the device\n',
        );
      }),
    );
  devices
    .command('distribution')
    .description('the global switch: off makes every device unmanaged and refuses enrollment and renewal')
    .addArgument(new Argument('<state>', 'on, off or status').choices(['on', 'off', 'status']))
    .action((state: 'on' | 'off' | 'status') =>
      withDeviceTrust(globals(), async (s) => {
        if (state !== 'status') await s.deviceTrust.setDistribution(state === 'on', CLI);
        const on = await s.deviceTrust.distributionEnabled();
        process.stdout.write(`certificate distribution is ${on ? 'on' : 'off'}\n`);
      }),
    );
}

function registerCertsCommands(program: Command, globals: () => GlobalOptions): void {
  const certs = program.command('certs').description('device certificates');
  certs
    .command('list')
    .description('device certificates, newest first')
    .option('--device <id>', "only this device's certificates")
    .option('--user <username>', "only this user's certificates")
    .action((options: { device?: string; user?: string }) =>
      withDeviceTrust(globals(), async (s) => {
        const list = await s.deviceTrust.listCertificates({ deviceId: options.device, username: options.user });
        printCertificates(list, Date.now());
      }),
    );
  certs
    .command('revoke <serial>')
    .description('revoke one certificate (listed in the CRL; refused at once by Latchkey)')
    .requiredOption('--reason <reason>', 'RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, ...')
    .action((serial: string, options: { reason: string }) =>
      withDeviceTrust(globals(), async (s) => {
        await s.deviceTrust.revokeCertificate(serial, { reason: options.reason, ...CLI });
        process.stdout.write(`revoked certificate ${serial} (${options.reason})\n`);
      }),
    );
}

function printCa(summary: CaSummary, verb?: string): void {
  if (verb) process.stdout.write(`${verb} the device CA\n`);
  const block = (entry: CaCertificateSummary) => [
    [entry.role, entry.subject],
    ['  sha256', entry.fingerprintSha256],
    ['  valid', `${isoTime(entry.notBefore.getTime())} to ${isoTime(entry.notAfter.getTime())}`],
    ['  key', entry.keyHeld ? 'held by Latchkey (sealed)' : 'not held'],
  ];
  const lines = [...block(summary.root), ...block(summary.intermediate), ['crl', summary.crlUrl]];
  for (const [key, value] of lines) process.stdout.write(`${key!.padEnd(13)} ${value}\n`);
}

function printCertificates(list: readonly DeviceCertificateRecord[], now: number): void {
  const state = (c: DeviceCertificateRecord) =>
    c.revokedAt ? `revoked (${c.revocationReason ?? 'unspecified'})` : c.notAfter < now ? 'expired' : 'valid';
  printTable(
    ['SERIAL', 'DEVICE', 'ISSUED', 'NOT AFTER', 'STATUS'],
    list.map((c) => [c.serial, c.deviceId, isoTime(c.issuedAt), isoTime(c.notAfter), state(c)]),
  );
}

/**
 * The agent command for this server: its issuer, and --ca-file when it serves the generated development
 * certificate (which no device trusts), with what the operator must do for it to work elsewhere.
 */
export function agentInstructions(config: Services['config'], token: string): string {
  const devCertificate =
    config.server.tls.cert_file === null ? path.join(config.dataDirAbsolute, 'dev-tls', 'cert.pem') : null;
  const caFile = devCertificate ? ` --ca-file ${devCertificate}` : '';
  const lines = [`on the device: latchkey-agent enroll --server ${config.issuer} --token ${token}${caFile}`];
  if (devCertificate) {
    lines.push(
      `  (the server uses its development TLS certificate: on another device, copy ${devCertificate} there ` +
        'and give that path to --ca-file)',
    );
  }
  if (['localhost', '127.0.0.1', '[::1]'].includes(new URL(config.issuer).hostname)) {
    lines.push(
      '  (the issuer is localhost: only an agent on this machine reaches it; set LATCHKEY_ISSUER to a name devices reach)',
    );
  }
  return lines.map((line) => `${line}\n`).join('');
}

function ttl(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new InvalidInputError('ERR_USAGE_TTL', `--ttl must be a duration such as 30m, 1h or 7d, not "${value}"`);
  }
  return seconds;
}

function readInput(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      'ERR_USAGE_FILE',
      `cannot read ${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}
