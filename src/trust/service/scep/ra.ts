// The SCEP RA in use: one per issuing intermediate, its RSA key sealed under the master key (purpose
// 'scep.ra.key', like the CA keys). Created on first use or by `latchkey scep init`, replaced in the last
// week of its life or by `scep init --force`; nodes racing to create it agree on one row (first write
// wins). Parsed keys are cached per stored fingerprint, so a replacement on any node is picked up at once.
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SealedBox } from '../../../crypto/sealed-box.js';
import type { AuditLog } from '../../../store/audit.js';
import type { RaRecord, ScepStore } from '../../../store/scep.js';
import { parseCertificate } from '../../certificate-input.js';
import { certificateSha256 } from '../../digest.js';
import { toPem } from '../../pem.js';
import type { EnvelopeRecipient } from '../../scep/envelope.js';
import { rejectionSecret } from '../../scep/key-transport.js';
import { issueRaCertificate } from '../../scep/ra-certificate.js';
import type { MessageSigner } from '../../scep/sign.js';
import type { x509 } from '../../x509.js';
import type { ActiveCa } from '../active-ca.js';
import { auditOrigin, type Origin } from '../context.js';

export const RA_KEY_PURPOSE = 'scep.ra.key';
/** An RA this close to its expiry is replaced before use: clients fetch it with GetCACert before enrolling. */
const REPLACE_BEFORE_MS = 7 * 86_400_000;
const RSA_SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** The RA's certificate and keys, ready to open envelopes and sign CertReps. */
export interface RaCredentials extends EnvelopeRecipient {
  signer: MessageSigner;
  /** The certificates above the RA: [intermediate, root]. */
  chain: x509.X509Certificate[];
  record: RaRecord;
}

export interface RaSettings {
  key_bits: number;
  lifetime_days: number;
}

export class ActiveRa {
  #cache: { fingerprint: string; value: RaCredentials } | undefined;

  constructor(
    private readonly store: Pick<ScepStore, 'ra' | 'insertRa' | 'replaceRa'>,
    private readonly box: Pick<SealedBox, 'seal' | 'openText'>,
    private readonly ca: ActiveCa,
    private readonly settings: RaSettings,
    private readonly audit: Pick<AuditLog, 'record'>,
  ) {}

  /** The RA for the active intermediate at `now`, creating or replacing it first when needed. */
  async current(now: Date): Promise<RaCredentials> {
    const anchors = await this.ca.anchors();
    let record = await this.store.ra(anchors.intermediateId);
    if (!record || raReplacementDue(record, anchors.intermediate, now)) record = await this.issue(now, record);
    return this.load(record, [anchors.intermediate, anchors.root]);
  }

  /** The stored RA of the active intermediate and the certificates above it (no change), or undefined. */
  async stored(): Promise<
    { record: RaRecord; certificate: x509.X509Certificate; chain: x509.X509Certificate[] } | undefined
  > {
    const anchors = await this.ca.anchors();
    const record = await this.store.ra(anchors.intermediateId);
    if (!record) return undefined;
    return {
      record,
      certificate: parseCertificate(record.certificatePem),
      chain: [anchors.intermediate, anchors.root],
    };
  }

  /**
   * Issues a new RA now: replacing `previous` when given, else as the first one. Returns what is stored
   * afterwards. Audited as `scep.ra.issue`, with the actor of `origin` (none: created on first use).
   */
  async issue(now: Date, previous?: RaRecord, origin: Origin = {}): Promise<RaRecord> {
    const ca = await this.ca.issuing(now);
    const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', {
      modulusLength: this.settings.key_bits,
    });
    const webPublic = await globalThis.crypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      RSA_SIGNING,
      true,
      ['verify'],
    );
    const certificate = await issueRaCertificate({
      ca,
      publicKey: webPublic,
      now,
      lifetimeDays: this.settings.lifetime_days,
    });
    const record: RaRecord = {
      issuerId: ca.intermediateId,
      certificatePem: toPem(certificate.rawData, 'CERTIFICATE'),
      privateKeySealed: this.box.seal(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), RA_KEY_PURPOSE),
      fingerprintSha256: await certificateSha256(certificate),
      notBefore: certificate.notBefore.getTime(),
      notAfter: certificate.notAfter.getTime(),
      createdAt: now.getTime(),
    };
    // Either write may lose to a concurrent request (on any node) doing the same: then theirs is the RA,
    // and it is just as good. Never replace what was not seen: two first uses would replace each other.
    const stored = previous
      ? await this.store.replaceRa(previous.fingerprintSha256, record)
      : await this.store.insertRa(record);
    if (stored) {
      await this.audit.record({
        event: 'scep.ra.issue',
        outcome: 'success',
        ...auditOrigin(origin),
        detail: { fingerprint: record.fingerprintSha256, replaced: previous?.fingerprintSha256 ?? null },
      });
    }
    return (await this.store.ra(ca.intermediateId))!;
  }

  private async load(record: RaRecord, chain: x509.X509Certificate[]): Promise<RaCredentials> {
    if (this.#cache?.fingerprint !== record.fingerprintSha256) {
      const pem = this.box.openText(record.privateKeySealed, RA_KEY_PURPOSE);
      const privateKey: KeyObject = createPrivateKey(pem);
      const signingKey = await globalThis.crypto.subtle.importKey(
        'pkcs8',
        privateKey.export({ type: 'pkcs8', format: 'der' }),
        RSA_SIGNING,
        false,
        ['sign'],
      );
      const certificate = parseCertificate(record.certificatePem);
      const value: RaCredentials = {
        certificate,
        privateKey,
        rejectionSecret: rejectionSecret(privateKey),
        signer: { certificate, privateKey: signingKey },
        chain,
        record,
      };
      this.#cache = { fingerprint: record.fingerprintSha256, value };
    }
    return { ...this.#cache.value, chain };
  }
}

/**
 * Whether `record` is due for replacement at `now`: in the last week of its life, unless a new one could not
 * live longer (it ends with the intermediate), which would replace it on every request.
 */
export function raReplacementDue(
  record: Pick<RaRecord, 'notAfter'>,
  intermediate: { notAfter: Date },
  now: Date,
): boolean {
  return record.notAfter - REPLACE_BEFORE_MS <= now.getTime() && record.notAfter < intermediate.notAfter.getTime();
}
