// ScepService: SCEP (RFC 8894) over the device CA, as its HTTP edge and the admin CLI use it. GetCACaps and
// GetCACert are answered here; PKIOperation in operation.ts; challenges in challenges.ts; the RA in ra.ts.
// Built once in services.ts from the device-trust ports plus the SCEP store and settings.
import type { ScepSettings } from '../../../config/scep.js';
import { InvalidInputError } from '../../../errors.js';
import type { ScepStore } from '../../../store/scep.js';
import type { User } from '../../../store/users.js';
import { certsOnly } from '../../scep/certs-only.js';
import { capabilitiesText } from '../../scep/protocol.js';
import { createTrustContext, type DeviceTrustDeps, type Origin } from '../context.js';
import {
  clearStaticChallenge,
  type CreatedScepChallenge,
  createChallenge,
  rotateStaticChallenge,
} from './challenges.js';
import { profileNamed, type ScepContext, type ScepProfile } from './context.js';
import { auditUnreadable, type PkiOperationAnswer, pkiOperation } from './operation.js';
import { ActiveRa } from './ra.js';

export type { CreatedScepChallenge } from './challenges.js';
export type { ScepProfile } from './context.js';
export type { PkiOperationAnswer } from './operation.js';

export interface ScepDeps {
  trust: DeviceTrustDeps;
  store: ScepStore;
  settings: ScepSettings;
  users: { findById(id: string): Promise<User | undefined>; findByLogin(login: string): Promise<User | undefined> };
}

/** The RA as `scep show` prints it. */
export interface RaSummary {
  subject: string;
  issuer: string;
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  /** PEM of the RA certificate, then the intermediate and the root (what GetCACert sends). */
  chainPem: string[];
}

export class ScepService {
  readonly #ctx: ScepContext;

  constructor(deps: ScepDeps) {
    const trust = createTrustContext(deps.trust);
    this.#ctx = {
      trust,
      store: deps.store,
      settings: deps.settings,
      users: deps.users,
      ra: new ActiveRa(deps.store, deps.trust.box, trust.ca, deps.settings.ra, deps.trust.audit),
    };
  }

  /** The configured profiles, by name. */
  profiles(): ScepProfile[] {
    return Object.keys(this.#ctx.settings.profiles).map((name) => profileNamed(this.#ctx, name));
  }

  /** The profile to use when none is named: the only one configured; else ERR_SCEP_PROFILE_REQUIRED. */
  defaultProfile(): string {
    const names = Object.keys(this.#ctx.settings.profiles);
    if (names.length === 1) return names[0]!;
    throw new InvalidInputError(
      'ERR_SCEP_PROFILE_REQUIRED',
      names.length === 0
        ? 'no SCEP profile is configured (scep.profiles)'
        : `name the SCEP profile: one of ${names.join(', ')}`,
    );
  }

  /** GetCACaps: what this endpoint supports, one capability per line (the same for every profile). */
  capabilities(profile: string): string {
    profileNamed(this.#ctx, profile);
    return capabilitiesText();
  }

  /** GetCACert: the RA certificate, the intermediate and the root, as a certs-only CMS message. */
  async caCertificates(profile: string): Promise<Uint8Array> {
    profileNamed(this.#ctx, profile);
    const ra = await this.#ctx.ra.current(this.#ctx.trust.now());
    return certsOnly([ra.certificate, ...ra.chain]);
  }

  /** PKIOperation: a PKCSReq or RenewalReq answered with a CertRep (HTTP 400 for unreadable input). */
  pkiOperation(profile: string, der: Uint8Array, origin: Origin = {}): Promise<PkiOperationAnswer> {
    return pkiOperation(this.#ctx, profile, der, origin);
  }

  /** Audits a PKIOperation whose body or message parameter was unreadable before parsing (HTTP 400). */
  async refuseUnreadable(profile: string, error: unknown, origin: Origin = {}): Promise<void> {
    await auditUnreadable(this.#ctx, profileNamed(this.#ctx, profile).name, error, origin);
  }

  /** A one-time challenge for a user (username or email) and profile, shown once. */
  createChallenge(
    login: string,
    profile: string,
    options: { ttlSeconds?: number } & Origin,
  ): Promise<CreatedScepChallenge> {
    return createChallenge(this.#ctx, login, profile, options);
  }

  /** A new static challenge for `profile`, shown once; the previous one stops working at once. */
  rotateStaticChallenge(profile: string, origin: Origin): Promise<string> {
    return rotateStaticChallenge(this.#ctx, profile, origin);
  }

  /** Removes the static challenge of `profile`; false when it had none. */
  clearStaticChallenge(profile: string, origin: Origin): Promise<boolean> {
    return clearStaticChallenge(this.#ctx, profile, origin);
  }

  /** Whether `profile` has a static challenge, and since when. */
  async staticChallengeSince(profile: string): Promise<Date | null> {
    const stored = await this.#ctx.store.staticChallenge(profileNamed(this.#ctx, profile).name);
    return stored ? new Date(stored.createdAt) : null;
  }

  /** Creates the RA now if there is none (or replaces it with `force`); returns it. */
  async initRa(options: { force?: boolean } & Origin): Promise<RaSummary> {
    const existing = await this.#ctx.ra.stored();
    if (!existing || options.force) await this.#ctx.ra.issue(this.#ctx.trust.now(), existing?.record, options);
    return (await this.showRa())!;
  }

  /** The RA in use, or null before first use (reading only: nothing is created or replaced). */
  async showRa(): Promise<RaSummary | null> {
    const ra = await this.#ctx.ra.stored();
    if (!ra) return null;
    return {
      subject: ra.certificate.subject,
      issuer: ra.certificate.issuer,
      fingerprintSha256: ra.record.fingerprintSha256,
      notBefore: ra.certificate.notBefore,
      notAfter: ra.certificate.notAfter,
      chainPem: [ra.certificate, ...ra.chain].map((certificate) => certificate.toString('pem')),
    };
  }

  /** Deletes one-time challenges that expired more than a day ago (the purge timer calls it). */
  purgeExpiredChallenges(): Promise<number> {
    return this.#ctx.store.purgeChallenges(this.#ctx.trust.now().getTime() - 86_400_000);
  }
}
