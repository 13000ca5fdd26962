// A software WebAuthn authenticator for HTTP-level tests: a real P-256 key (node:crypto), real CBOR
// attestation objects and COSE keys, real ECDSA signatures over authenticatorData ‖ SHA-256(clientDataJSON).
// Nothing is faked on the server's side: it verifies these as it would a browser's. Knobs let a test
// produce exactly one defect (another origin, another RP ID, no user verification, a stale counter).
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  /** User verified (the UV flag); default true. */
  uv?: boolean;
  /** Counter to report instead of the next one. */
  counter?: number;
  /** Challenge to sign instead of the options'. */
  challenge?: string;
  type?: string;
}

export interface SoftAuthenticatorOptions {
  origin: string;
  rpId: string;
  /** Report backup eligibility (a synced passkey); default false. */
  backupEligible?: boolean;
  aaguid?: string;
  /** Start the signature counter here (0: an authenticator that never counts). */
  counter?: number;
  /**
   * Full ("packed") attestation: the attestation key signs authenticatorData ‖ SHA-256(clientDataJSON)
   * and its certificate (DER) goes in x5c. 'self': packed self attestation, signed by the credential's
   * own key with no x5c (proves nothing about the model). Absent: attestation "none".
   */
  attestation?: { key: KeyObject; certificateDer: Uint8Array } | 'self';
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

function b64url(bytes: Uint8Array | Buffer): string {
  return Buffer.from(bytes).toString('base64url');
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly key: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  /** The counter of the last ceremony. */
  counter: number;
  /** The user handle (user.id of the registration options). */
  userHandle: string | undefined;

  constructor(private readonly options: SoftAuthenticatorOptions) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    this.publicJwk = jwk;
    this.counter = options.counter ?? 0;
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  private flags(uv: boolean, attested: boolean): number {
    const backup = this.options.backupEligible ? FLAG_BE | FLAG_BS : 0;
    return FLAG_UP | (uv ? FLAG_UV : 0) | backup | (attested ? FLAG_AT : 0);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private nextCounter(overrides: CeremonyOverrides): number {
    if (overrides.counter !== undefined) return overrides.counter;
    if (this.counter > 0 || this.options.counter !== 0) this.counter += 1;
    return this.counter;
  }

  /** A registration response (attestation "none") to `options` (PublicKeyCredentialCreationOptionsJSON). */
  register(options: { challenge: string; user: { id: string } }, overrides: CeremonyOverrides = {}) {
    this.userHandle = options.user.id;
    const rpIdHash = createHash('sha256')
      .update(overrides.rpId ?? this.options.rpId)
      .digest();
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(this.publicJwk.x, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y, 'base64url')],
      ]),
    );
    const aaguid = Buffer.from(
      (this.options.aaguid ?? '00000000-0000-0000-0000-000000000000').replace(/-/g, ''),
      'hex',
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      rpIdHash,
      Buffer.from([this.flags(overrides.uv ?? true, true)]),
      u32(this.nextCounter(overrides)),
      aaguid,
      idLength,
      this.credentialId,
      Buffer.from(cose),
    ]);
    const clientDataJSON = this.clientData(
      overrides.type ?? 'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.options.origin,
    );
    const attestation = this.options.attestation;
    const signed = () =>
      new Uint8Array(
        sign(
          'sha256',
          Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]),
          attestation === 'self' ? this.key : attestation!.key,
        ),
      );
    const attStmt =
      attestation === undefined
        ? new Map()
        : attestation === 'self'
          ? new Map<string, unknown>([
              ['alg', -7],
              ['sig', signed()],
            ])
          : new Map<string, unknown>([
              ['alg', -7],
              ['sig', signed()],
              ['x5c', [new Uint8Array(attestation.certificateDer)]],
            ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', attestation ? 'packed' : 'none'],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** An assertion to `options` (PublicKeyCredentialRequestOptionsJSON), signed with the credential key. */
  assert(options: { challenge: string }, overrides: CeremonyOverrides = {}) {
    const rpIdHash = createHash('sha256')
      .update(overrides.rpId ?? this.options.rpId)
      .digest();
    const authenticatorData = Buffer.concat([
      rpIdHash,
      Buffer.from([this.flags(overrides.uv ?? true, false)]),
      u32(this.nextCounter(overrides)),
    ]);
    const clientDataJSON = this.clientData(
      overrides.type ?? 'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.options.origin,
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]),
      this.key,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
    };
  }
}
