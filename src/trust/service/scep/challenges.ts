// SCEP challenges, as admins and MDMs get them: one-time challenges bound to a user and a profile (the CLI
// for people, POST /admin/scep/challenges for MDMs), and one static challenge per profile (typed into an
// MDM's SCEP payload; the request's email or UPN then says whose device it is), rotated by the CLI. Both
// are generated here, shown once and stored hashed; every change is audited.
import { InvalidInputError, NotFoundError } from '../../../errors.js';
import { auditAdminAction, type Origin } from '../context.js';
import { DeviceTrustError } from '../errors.js';
import { type ScepContext, profileNamed } from './context.js';

const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 7 * 86400;

export interface CreatedScepChallenge {
  /** The challenge itself: shown once, stored only as a hash. */
  challenge: string;
  username: string;
  profile: string;
  expiresAt: Date;
}

/** A one-time challenge for `login` (username or email) and `profileName` (ttl default from settings). */
export async function createChallenge(
  ctx: ScepContext,
  login: string,
  profileName: string,
  options: { ttlSeconds?: number } & Origin,
): Promise<CreatedScepChallenge> {
  const profile = profileNamed(ctx, profileName);
  const ttl = options.ttlSeconds ?? ctx.settings.challenge_ttl_seconds;
  if (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS) {
    throw new InvalidInputError('ERR_SCEP_CHALLENGE_TTL', 'a SCEP challenge must live between 1 minute and 7 days', {
      ttl,
    });
  }
  const user = await ctx.users.findByLogin(login);
  if (!user) throw new NotFoundError('ERR_USER_NOT_FOUND', `no user named "${login.slice(0, 255)}"`);
  if (user.disabled) throw new DeviceTrustError('ERR_USER_DISABLED', `the user ${user.username} is disabled`);
  const now = ctx.trust.now().getTime();
  const { challenge, record } = await ctx.store.createChallenge(
    { userId: user.id, profile: profile.name, ttlMs: ttl * 1000, createdBy: options.actor ?? null },
    now,
  );
  await auditAdminAction(ctx.trust, 'admin.scep.challenge', options, {
    userId: user.id,
    username: user.username,
    detail: { challengeId: record.id, profile: profile.name, expiresAt: record.expiresAt },
  });
  return { challenge, username: user.username, profile: profile.name, expiresAt: new Date(record.expiresAt) };
}

/** A new static challenge for `profileName`, replacing the previous one at once. */
export async function rotateStaticChallenge(ctx: ScepContext, profileName: string, origin: Origin): Promise<string> {
  const profile = profileNamed(ctx, profileName);
  const challenge = await ctx.store.rotateStaticChallenge(
    profile.name,
    origin.actor ?? null,
    ctx.trust.now().getTime(),
  );
  await auditAdminAction(ctx.trust, 'admin.scep.static-challenge.rotate', origin, {
    detail: { profile: profile.name },
  });
  return challenge;
}

/** Removes the static challenge of `profileName`: from then on only one-time challenges enroll there. */
export async function clearStaticChallenge(ctx: ScepContext, profileName: string, origin: Origin): Promise<boolean> {
  const profile = profileNamed(ctx, profileName);
  const cleared = await ctx.store.clearStaticChallenge(profile.name);
  await auditAdminAction(ctx.trust, 'admin.scep.static-challenge.clear', origin, {
    detail: { profile: profile.name, cleared },
  });
  return cleared;
}
