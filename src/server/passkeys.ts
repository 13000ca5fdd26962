// The passkey capability wired for the composition root: the credential store, the ceremonies for this
// issuer's relying-party identity, the operator's FIDO metadata (read once, offline), the two sign-in
// methods, the re-check sessions use, and the account page's passkey routes.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CsrfTokens } from '../http/csrf.js';
import { accountPasskeys, type AccountPasskeys } from '../account-page/passkeys.js';
import { relyingPartyIdentity } from '../config/passkeys.js';
import { passkeyMethod, passkeyStandings, type PasskeyMethodDeps } from '../interactions/methods/passkey.js';
import type { SignInMethod } from '../interactions/methods/types.js';
import type { PasskeyStandings, SessionProofService } from '../interactions/session-proofs.js';
import { PasskeyCeremonies } from '../passkeys/ceremonies.js';
import { loadPasskeyMetadata } from '../passkeys/metadata.js';
import { PasskeyRepository } from '../store/passkeys.js';
import { TicketStore } from '../store/tickets.js';
import type { Services } from './services.js';

export interface PasskeyParts {
  repository: PasskeyRepository;
  /** Where challenges and registration links are kept (single-use, hashed). */
  tickets: TicketStore;
  /** `passkey` and `device_bound_passkey`, in that order. */
  methods: SignInMethod[];
  standings: PasskeyStandings;
  /** The account page's passkey section and routes, once the session proofs exist. */
  account(sessionProofs: SessionProofService, csrf: CsrfTokens): AccountPasskeys;
  /** /static/ name → file of the ceremony scripts. */
  staticFiles: Record<string, string>;
}

export async function openPasskeys(services: Services, staticDir: string): Promise<PasskeyParts> {
  const { config } = services;
  const settings = config.passkeys;
  const repository = new PasskeyRepository(services.db);
  const metadata = await loadPasskeyMetadata(settings.metadata_file);
  const ceremonies = new PasskeyCeremonies(relyingPartyIdentity(config), {
    attestation: settings.attestation,
    acceptedAaguids: settings.accepted_aaguids,
    hasMetadata: (aaguid) => metadata.has(aaguid),
  });
  const tickets = new TicketStore(services.oidcStore.adapterFor('LatchkeyTicket'));
  const deviceStanding = (deviceId: string) => services.deviceTrust.recordStanding(deviceId);
  const deps: PasskeyMethodDeps = {
    ceremonies,
    passkeys: repository,
    tickets,
    deviceStanding,
    users: services.users,
    audit: services.audit,
    counterRegression: settings.counter_regression,
    challengeTtlSeconds: settings.challenge_ttl_seconds,
  };
  return {
    repository,
    tickets,
    methods: [passkeyMethod(deps, 'passkey'), passkeyMethod(deps, 'device_bound_passkey')],
    standings: passkeyStandings({ passkeys: repository, users: services.users, deviceStanding }),
    account: (sessionProofs, csrf) =>
      accountPasskeys({
        ceremonies,
        metadata,
        passkeys: repository,
        tickets,
        sessionProofs: async (sessionUid, accountId) =>
          (await sessionProofs.current(sessionUid, accountId, Math.floor(Date.now() / 1000))).proofs,
        deviceLabel: async (deviceId) => (await repository.deviceLabels([deviceId])).get(deviceId),
        audit: services.audit,
        csrf,
        recencySeconds: settings.registration_recency_seconds,
        challengeTtlSeconds: settings.challenge_ttl_seconds,
        lifetimeDays: settings.credential_lifetime_days,
      }),
    staticFiles: {
      // SimpleWebAuthn's browser library, served by us (no CDN): its UMD bundle defines SimpleWebAuthnBrowser.
      'simplewebauthn-browser.js': browserBundle(),
      'passkey-sign-in.js': path.join(staticDir, 'passkey-sign-in.js'),
      'passkey-register.js': path.join(staticDir, 'passkey-register.js'),
    },
  };
}

/** The UMD bundle of @simplewebauthn/browser, wherever npm installed the package. */
function browserBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const root = entry.slice(0, entry.lastIndexOf(`${path.sep}script${path.sep}`));
  return path.join(root, 'dist', 'bundle', 'index.umd.min.js');
}
