// `latchkey scep ...`: the SCEP RA, its profiles' URLs and static challenges, and one-time challenges for
// people enrolling a device by hand (an MDM fetches its own from POST /admin/scep/challenges). Every change
// is audited (actor "cli") by the SCEP service; errors are one line with a non-zero exit, as everywhere.
import type { Command } from 'commander';
import { scepProfileUrl } from '../config/scep.js';
import { InvalidInputError } from '../errors.js';
import { parseDuration } from '../policies/duration.js';
import { joinPem } from '../trust/pem.js';
import type { RaSummary } from '../trust/service/scep/index.js';
import { isoTime, printTable, type GlobalOptions } from './common.js';
import { withDeviceTrust } from './devices.js';

const CLI = { actor: 'cli' };

export function registerScepCommands(program: Command, globals: () => GlobalOptions): void {
  const scep = program.command('scep').description('SCEP (RFC 8894): device certificates delivered by an MDM');
  scep
    .command('init')
    .description('create the SCEP RA certificate now (it is otherwise created on first use)')
    .option('--force', 'replace the RA certificate (clients fetch the new one with GetCACert)')
    .action((options: { force?: boolean }) =>
      withDeviceTrust(globals(), async (s) => {
        printRa(await s.scep.initRa({ force: options.force, ...CLI }));
      }),
    );
  scep
    .command('show')
    .description('the RA certificate, and each profile with its URL and whether it has a static challenge')
    .option('--pem', 'print the RA, intermediate and root certificates as PEM instead')
    .action((options: { pem?: boolean }) =>
      withDeviceTrust(globals(), async (s) => {
        const ra = await s.scep.showRa();
        if (options.pem) {
          if (!ra) throw new InvalidInputError('ERR_SCEP_NO_RA', 'no RA certificate yet: run "latchkey scep init"');
          process.stdout.write(joinPem(ra.chainPem));
          return;
        }
        if (ra) printRa(ra);
        else process.stdout.write('RA           not created yet (on first use, or "latchkey scep init")\n\n');
        const rows = [];
        for (const profile of s.scep.profiles()) {
          const since = await s.scep.staticChallengeSince(profile.name);
          rows.push([
            profile.name,
            profile.platform,
            profile.integrity,
            scepProfileUrl(s.config, profile.name),
            since ? `set ${isoTime(since.getTime())}` : 'none',
          ]);
        }
        printTable(['PROFILE', 'PLATFORM', 'INTEGRITY', 'URL', 'STATIC CHALLENGE'], rows);
      }),
    );
  const statics = scep.command('static-challenge').description("a profile's static challenge (typed into an MDM)");
  statics
    .command('rotate <profile>')
    .description('create a new static challenge (printed once); the previous one stops working at once')
    .action((profile: string) =>
      withDeviceTrust(globals(), async (s) => {
        const challenge = await s.scep.rotateStaticChallenge(profile, CLI);
        process.stdout.write(
          `static challenge for profile ${profile} (shown once; put it into the MDM's SCEP payload):\n${challenge}\n`,
        );
      }),
    );
  statics
    .command('clear <profile>')
    .description('remove the static challenge: the profile then enrolls only with one-time challenges')
    .action((profile: string) =>
      withDeviceTrust(globals(), async (s) => {
        const cleared = await s.scep.clearStaticChallenge(profile, CLI);
        process.stdout.write(cleared ? `removed the static challenge of ${profile}\n` : `${profile} had none\n`);
      }),
    );
  scep
    .command('challenge')
    .description('create a one-time challenge for a user and profile (printed once)')
    .requiredOption('--user <username>', 'the user (username or email) the device will belong to')
    .option('--profile <name>', 'the SCEP profile (default: the only one configured)')
    .option('--ttl <duration>', 'how long it stays usable, e.g. 30m, 1h, 2d (default: scep.challenge_ttl_seconds)')
    .option('--json', 'print {challenge, username, profile, expiresAt, url} as JSON')
    .action((options: { user: string; profile?: string; ttl?: string; json?: boolean }) =>
      withDeviceTrust(globals(), async (s) => {
        const ttlSeconds = options.ttl === undefined ? undefined : ttl(options.ttl);
        const profile = options.profile ?? s.scep.defaultProfile();
        const created = await s.scep.createChallenge(options.user, profile, { ttlSeconds, ...CLI });
        const url = scepProfileUrl(s.config, created.profile);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...created, expiresAt: created.expiresAt.toISOString(), url })}\n`);
          return;
        }
        process.stdout.write(
          `one-time SCEP challenge for ${created.username}, profile ${created.profile}, single use, valid until ` +
            `${isoTime(created.expiresAt.getTime())} (shown once):\n${created.challenge}\nSCEP URL: ${url}\n`,
        );
      }),
    );
}

function printRa(ra: RaSummary): void {
  const lines = [
    ['RA', ra.subject],
    ['  issuer', ra.issuer],
    ['  sha256', ra.fingerprintSha256],
    ['  valid', `${isoTime(ra.notBefore.getTime())} to ${isoTime(ra.notAfter.getTime())}`],
  ];
  for (const [key, value] of lines) process.stdout.write(`${key!.padEnd(12)} ${value}\n`);
  process.stdout.write('\n');
}

function ttl(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new InvalidInputError('ERR_USAGE_TTL', `--ttl must be a duration such as 30m, 1h or 2d, not "${value}"`);
  }
  return seconds;
}
