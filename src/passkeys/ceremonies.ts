// The two WebAuthn ceremonies as generate/verify pairs around SimpleWebAuthn. Each verification goes
// parse → check → verify: the response is parsed (JSON, base64url, CBOR) and its client data and
// authenticator data checked by us first (type, origin, RP ID hash, user verification), so every refusal
// has its own stable code; SimpleWebAuthn then verifies the attestation or the signature. Challenges are
// issued and redeemed by the caller (single-use tickets): this module only compares them.
import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import {
  decodeAttestationObject,
  isoBase64URL,
  parseAuthenticatorData,
  type ParsedAuthenticatorData,
} from '@simplewebauthn/server/helpers';
import type { StoredPasskey } from './credential.js';

/** COSE algorithms offered and accepted: EdDSA, ES256, RS256 (WebAuthn's recommended set). */
export const ALGORITHMS = [-8, -7, -257];
/** How long the browser waits for the person (ms); the server-side challenge lives longer. */
const CEREMONY_TIMEOUT_MS = 120_000;
/** Largest response we parse (a packed attestation with a certificate chain fits easily). */
const MAX_RESPONSE_CHARS = 64 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Who the WebAuthn ceremonies are for: the RP ID and the origins a response may come from. */
export interface RelyingPartyIdentity {
  rpId: string;
  rpName: string;
  origins: string[];
}

export type CeremonyFailure = { ok: false; code: string; reason: string };

/** What the ceremonies need besides the relying party. */
export interface CeremonySettings {
  attestation: 'none' | 'direct';
  acceptedAaguids: readonly string[];
  /** AAGUIDs for which operator-supplied FIDO metadata anchors attestation chains. */
  hasMetadata(aaguid: string): boolean;
}

/** A verified registration, ready to store: the stored passkey's fields that the ceremony decides. */
export type NewCredential = Pick<
  StoredPasskey,
  | 'credentialId'
  | 'publicKey'
  | 'counter'
  | 'transports'
  | 'attachment'
  | 'aaguid'
  | 'backupEligible'
  | 'backedUp'
  | 'attestationFormat'
  | 'attestationVerified'
>;

/** A parsed assertion: the credential it names, the challenge it signed, and the response itself. */
export interface ParsedAssertion {
  credentialId: string;
  challenge: string;
  response: AuthenticationResponseJSON;
  authenticatorData: ParsedAuthenticatorData;
}

export class PasskeyCeremonies {
  constructor(
    readonly identity: RelyingPartyIdentity,
    private readonly settings: CeremonySettings,
  ) {}

  /** Registration options for `user` with `challenge`: UV and a resident key required, platform preferred. */
  async registrationOptions(input: {
    challenge: string;
    user: { id: string; username: string; name: string | null };
    exclude: ReadonlyArray<Pick<StoredPasskey, 'credentialId' | 'transports'>>;
  }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await generateRegistrationOptions({
      rpName: this.identity.rpName,
      rpID: this.identity.rpId,
      userName: input.user.username,
      userDisplayName: input.user.name ?? input.user.username,
      userID: new TextEncoder().encode(input.user.id),
      challenge: isoBase64URL.toBuffer(input.challenge),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: this.settings.attestation,
      excludeCredentials: input.exclude.map((c) => ({ id: c.credentialId, transports: c.transports })),
      authenticatorSelection: {
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'required',
      },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    // The platform authenticator is preferred (hints), not required: SimpleWebAuthn's
    // preferredAuthenticatorType would also set authenticatorAttachment: 'platform', which shuts out
    // security keys. A roaming key registers as "single-device" and never carries a device (credential.ts).
    return { ...options, hints: ['client-device'] };
  }

  /** Authentication options for discoverable credentials (no allow list: no username needed). */
  authenticationOptions(challenge: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.identity.rpId,
      challenge: isoBase64URL.toBuffer(challenge),
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'required',
    });
  }

  /** Parses and checks a registration response; the challenge it carries is returned for the caller to redeem. */
  parseRegistration(
    raw: unknown,
  ): { ok: true; response: RegistrationResponseJSON; challenge: string } | CeremonyFailure {
    const json = parseJson(raw);
    if (!json.ok) return json;
    const response = json.value as Partial<RegistrationResponseJSON>;
    const body = response.response as Partial<RegistrationResponseJSON['response']> | undefined;
    if (
      response.type !== 'public-key' ||
      !isBase64url(response.id) ||
      !isBase64url(response.rawId) ||
      !body ||
      !isBase64url(body.clientDataJSON) ||
      !isBase64url(body.attestationObject)
    ) {
      return malformed('the registration response lacks its fields or they are not base64url');
    }
    const checked = this.checkClientData(body.clientDataJSON, 'webauthn.create');
    if (!checked.ok) return checked;
    let authData: ParsedAuthenticatorData;
    try {
      authData = parseAuthenticatorData(
        decodeAttestationObject(isoBase64URL.toBuffer(body.attestationObject)).get('authData'),
      );
    } catch {
      return malformed('the attestation object is not valid CBOR with authenticator data');
    }
    const flags = this.checkAuthenticatorData(authData);
    if (!flags.ok) return flags;
    if (!authData.credentialID || !authData.aaguid) return malformed('the authenticator data has no credential');
    return { ok: true, response: response as RegistrationResponseJSON, challenge: checked.challenge };
  }

  /** Verifies a parsed registration made with `challenge` (already redeemed by the caller). */
  async verifyRegistration(
    response: RegistrationResponseJSON,
    challenge: string,
  ): Promise<{ ok: true; credential: NewCredential } | CeremonyFailure> {
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.identity.origins,
        expectedRPID: this.identity.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (error) {
      return { ok: false, code: 'ERR_PASSKEY_ATTESTATION', reason: (error as Error).message };
    }
    if (!verified.verified)
      return { ok: false, code: 'ERR_PASSKEY_ATTESTATION', reason: 'the attestation did not verify' };
    const info = verified.registrationInfo;
    const accepted = this.settings.acceptedAaguids;
    if (accepted.length > 0 && !accepted.includes(info.aaguid)) {
      return { ok: false, code: 'ERR_PASSKEY_AAGUID', reason: `authenticator model ${info.aaguid} is not accepted` };
    }
    const attachment = response.authenticatorAttachment;
    return {
      ok: true,
      credential: {
        credentialId: info.credential.id,
        publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
        counter: info.credential.counter,
        transports: (info.credential.transports ?? []).map(String).slice(0, 8),
        attachment: attachment === 'platform' || attachment === 'cross-platform' ? attachment : null,
        aaguid: info.aaguid,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        attestationFormat: info.fmt,
        attestationVerified: this.attestationAnchored(info),
      },
    };
  }

  /**
   * True only when the attestation carried a certificate chain (x5c) and FIDO metadata lists this model:
   * SimpleWebAuthn then checked the chain against the metadata's roots. It accepts a chain it has no roots
   * for, and a self attestation (signed by the credential's own key, no x5c) is never checked against
   * metadata at all: anyone can make one with any AAGUID, so neither proves the model.
   */
  private attestationAnchored(info: {
    fmt: string;
    aaguid: string;
    attestationObject: Uint8Array<ArrayBuffer>;
  }): boolean {
    if (info.fmt === 'none' || !this.settings.hasMetadata(info.aaguid)) return false;
    const statement = decodeAttestationObject(info.attestationObject).get('attStmt');
    const chain = statement.get('x5c');
    return Array.isArray(chain) && chain.length > 0;
  }

  /** Parses and checks an assertion; the caller redeems its challenge and looks up its credential. */
  parseAssertion(raw: unknown): { ok: true; assertion: ParsedAssertion } | CeremonyFailure {
    const json = parseJson(raw);
    if (!json.ok) return json;
    const response = json.value as Partial<AuthenticationResponseJSON>;
    const body = response.response as Partial<AuthenticationResponseJSON['response']> | undefined;
    if (
      response.type !== 'public-key' ||
      !isBase64url(response.id) ||
      response.id.length === 0 ||
      response.rawId !== response.id ||
      !body ||
      !isBase64url(body.clientDataJSON) ||
      !isBase64url(body.authenticatorData) ||
      !isBase64url(body.signature) ||
      (body.userHandle !== undefined && !isBase64url(body.userHandle))
    ) {
      return malformed('the assertion lacks its fields or they are not base64url');
    }
    const checked = this.checkClientData(body.clientDataJSON, 'webauthn.get');
    if (!checked.ok) return checked;
    let authenticatorData: ParsedAuthenticatorData;
    try {
      authenticatorData = parseAuthenticatorData(isoBase64URL.toBuffer(body.authenticatorData));
    } catch {
      return malformed('the authenticator data cannot be parsed');
    }
    const flags = this.checkAuthenticatorData(authenticatorData);
    if (!flags.ok) return flags;
    return {
      ok: true,
      assertion: {
        credentialId: response.id,
        challenge: checked.challenge,
        response: response as AuthenticationResponseJSON,
        authenticatorData,
      },
    };
  }

  /** Verifies an assertion's signature with the stored key; the counter is judged by the caller. */
  async verifyAssertion(
    assertion: ParsedAssertion,
    passkey: Pick<StoredPasskey, 'credentialId' | 'publicKey' | 'transports'>,
  ): Promise<{ ok: true; counter: number; backupEligible: boolean; backedUp: boolean } | CeremonyFailure> {
    try {
      const verified = await verifyAuthenticationResponse({
        response: assertion.response,
        expectedChallenge: assertion.challenge,
        expectedOrigin: this.identity.origins,
        expectedRPID: this.identity.rpId,
        requireUserVerification: true,
        // The counter is ours to judge (refuse or flag): SimpleWebAuthn's own check always throws.
        credential: {
          id: passkey.credentialId,
          publicKey: isoBase64URL.toBuffer(passkey.publicKey),
          counter: 0,
          transports: passkey.transports as never,
        },
      });
      if (!verified.verified)
        return { ok: false, code: 'ERR_PASSKEY_SIGNATURE', reason: 'the signature did not verify' };
      const info = verified.authenticationInfo;
      return {
        ok: true,
        counter: info.newCounter,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
      };
    } catch (error) {
      return { ok: false, code: 'ERR_PASSKEY_SIGNATURE', reason: (error as Error).message };
    }
  }

  /** Client data of the expected type from an allowed origin; returns the challenge it carries. */
  private checkClientData(encoded: string, type: string): { ok: true; challenge: string } | CeremonyFailure {
    let clientData: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown };
    try {
      clientData = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as typeof clientData;
    } catch {
      return malformed('clientDataJSON is not JSON');
    }
    if (typeof clientData !== 'object' || clientData === null) return malformed('clientDataJSON is not an object');
    if (clientData.type !== type) return malformed(`clientDataJSON.type is not ${type}`);
    if (!isBase64url(clientData.challenge) || clientData.challenge.length === 0 || clientData.challenge.length > 128) {
      return malformed('clientDataJSON.challenge is missing or not base64url');
    }
    if (typeof clientData.origin !== 'string' || !this.identity.origins.includes(clientData.origin)) {
      return { ok: false, code: 'ERR_PASSKEY_ORIGIN', reason: `origin ${String(clientData.origin)} is not allowed` };
    }
    if (clientData.crossOrigin === true) {
      return { ok: false, code: 'ERR_PASSKEY_ORIGIN', reason: 'the ceremony ran in a cross-origin frame' };
    }
    return { ok: true, challenge: clientData.challenge };
  }

  /** Authenticator data for our RP ID, with the user present and verified. */
  private checkAuthenticatorData(data: ParsedAuthenticatorData): { ok: true } | CeremonyFailure {
    const expected = createHash('sha256').update(this.identity.rpId).digest();
    if (!Buffer.from(data.rpIdHash).equals(expected)) {
      return { ok: false, code: 'ERR_PASSKEY_RP_ID', reason: `the credential is not for RP ID ${this.identity.rpId}` };
    }
    if (!data.flags.up || !data.flags.uv) {
      return { ok: false, code: 'ERR_PASSKEY_USER_VERIFICATION', reason: 'the authenticator did not verify the user' };
    }
    return { ok: true };
  }
}

function parseJson(raw: unknown): { ok: true; value: Record<string, unknown> } | CeremonyFailure {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RESPONSE_CHARS) {
    return malformed('the response is missing or too large');
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return { ok: true, value: value as Record<string, unknown> };
    }
  } catch {
    // Reported below.
  }
  return malformed('the response is not a JSON object');
}

function isBase64url(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_RESPONSE_CHARS && BASE64URL.test(value);
}

function malformed(reason: string): CeremonyFailure {
  return { ok: false, code: 'ERR_PASSKEY_MALFORMED', reason };
}
