// The CA in use, as stored: root and intermediate certificates with their keys sealed under the master key
// (purposes 'ca.root.key' and 'ca.intermediate.key'). Parsed certificates and the intermediate's signer are
// cached per stored record, so a `ca init --force` on any node is picked up at the next request.
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { SealedBox } from '../../crypto/sealed-box.js';
import type { CaRecord, CaRole, DeviceTrustStore } from '../../store/device-trust.js';
import type { IssuingCa } from '../ca/authority.js';
import { signerMatchesCertificate, type CaSigner } from '../ca/signer.js';
import { loadIssuingCa, signerFromPrivateKeyPem } from '../ca/import.js';
import { parseCertificate } from '../certificate-input.js';
import { certificateSha256 } from '../digest.js';
import { toPem } from '../pem.js';
import type { x509 } from '../x509.js';
import { DeviceTrustError } from './errors.js';

export const CA_KEY_PURPOSE: Record<CaRole, string> = { root: 'ca.root.key', intermediate: 'ca.intermediate.key' };

export type CaStore = Pick<
  DeviceTrustStore,
  'activeCa' | 'replaceCa' | 'verifyingIntermediates' | 'rotateIntermediate'
>;

/** The trust anchors devices are verified against, and the stored id of the issuing intermediate. */
export interface CaAnchors {
  root: x509.X509Certificate;
  /** The intermediate that issues now. */
  intermediate: x509.X509Certificate;
  intermediateId: string;
  /** Every intermediate whose leaves verify: the active one and those replaced by rotation. */
  verifying: x509.X509Certificate[];
}

/** A CA certificate about to be stored, with its private key (PEM) when Latchkey holds it. */
export interface CaMaterial {
  certificate: x509.X509Certificate;
  privateKeyPem: string | null;
}

export class ActiveCa {
  #anchors: { key: string; value: CaAnchors } | undefined;
  /** Parsed CA and unsealed signer per intermediate id (ids never change meaning). */
  readonly #issuing = new Map<string, IssuingCa>();

  constructor(
    private readonly store: CaStore,
    private readonly box: Pick<SealedBox, 'seal' | 'openText'>,
  ) {}

  /** The active root and intermediate records, or undefined before `ca init`/`ca import`. */
  async records(): Promise<{ root: CaRecord; intermediate: CaRecord } | undefined> {
    const [root, intermediate] = await Promise.all([this.store.activeCa('root'), this.store.activeCa('intermediate')]);
    return root && intermediate ? { root, intermediate } : undefined;
  }

  /** Root and intermediate certificates; fails closed (503) when no CA exists. */
  async anchors(): Promise<CaAnchors> {
    const { root, intermediate } = await this.required();
    const verifying = await this.store.verifyingIntermediates();
    const key = [root.id, intermediate.id, ...verifying.map((record) => record.id)].join('/');
    if (this.#anchors?.key !== key) {
      const value = {
        root: parseCertificate(root.certificatePem),
        intermediate: parseCertificate(intermediate.certificatePem),
        intermediateId: intermediate.id,
        verifying: verifying.map((record) => parseCertificate(record.certificatePem)),
      };
      this.#anchors = { key, value };
    }
    return this.#anchors.value;
  }

  /** The root's signer, for issuing a new intermediate; fails when the root's key is not held (imported CA). */
  async rootSigner(now: Date): Promise<{ certificate: x509.X509Certificate; signer: CaSigner }> {
    const { root } = await this.required();
    if (!root.privateKeySealed) {
      throw new DeviceTrustError(
        'ERR_CA_ROOT_KEY_NOT_HELD',
        'Latchkey does not hold the root key of this CA (it was imported): issue a new intermediate with your own root and run "latchkey ca import"',
      );
    }
    const certificate = parseCertificate(root.certificatePem);
    const signer = await signerFromPrivateKeyPem(
      this.box.openText(root.privateKeySealed, CA_KEY_PURPOSE.root),
      certificate,
    );
    if (!(await signerMatchesCertificate(signer, certificate)) || now > certificate.notAfter) {
      throw new DeviceTrustError(
        'ERR_CA_NOT_INITIALIZED',
        'the stored root key does not match a valid root certificate',
      );
    }
    return { certificate, signer };
  }

  /** Stores a new active intermediate; the current one stays trusted for the leaves it issued. */
  async installIntermediate(intermediate: CaMaterial): Promise<void> {
    await this.store.rotateIntermediate(await this.record('intermediate', intermediate));
  }

  /** The CA that issues: anchors plus a signer over the unsealed intermediate key, checked at `now`. */
  async issuing(now: Date): Promise<IssuingCa & { intermediateId: string }> {
    return this.issuingFor((await this.anchors()).intermediateId, now);
  }

  /** The CA of intermediate `id` (active or previous) with its signer, e.g. to sign that intermediate's CRL. */
  async issuingFor(id: string, now: Date): Promise<IssuingCa & { intermediateId: string }> {
    const cached = this.#issuing.get(id);
    if (cached) return { ...cached, intermediateId: id };
    const { root } = await this.required();
    const record = (await this.store.verifyingIntermediates()).find((candidate) => candidate.id === id);
    if (!record?.privateKeySealed) {
      throw new DeviceTrustError('ERR_CA_NOT_INITIALIZED', 'the intermediate CA has no private key on record');
    }
    const intermediate = parseCertificate(record.certificatePem);
    const keyPem = this.box.openText(record.privateKeySealed, CA_KEY_PURPOSE.intermediate);
    const signer = await signerFromPrivateKeyPem(keyPem, intermediate);
    const value = await loadIssuingCa({ root: parseCertificate(root.certificatePem), intermediate, signer, now });
    this.#issuing.set(id, value);
    return { ...value, intermediateId: id };
  }

  /** Stores a new active root and intermediate (keys sealed; retiring the previous pair). */
  async install(root: CaMaterial, intermediate: CaMaterial): Promise<void> {
    await this.store.replaceCa([await this.record('root', root), await this.record('intermediate', intermediate)]);
  }

  private async record(role: CaRole, material: CaMaterial): Promise<Omit<CaRecord, 'status'>> {
    const { certificate } = material;
    const fingerprint = await certificateSha256(certificate);
    return {
      id: randomUUID(),
      role,
      subject: certificate.subject,
      certificatePem: toPem(certificate.rawData, 'CERTIFICATE'),
      // Stored as PKCS#8 whatever the operator imported (SEC1, PKCS#1), so loading has one format.
      privateKeySealed: material.privateKeyPem
        ? this.box.seal(pkcs8Pem(material.privateKeyPem), CA_KEY_PURPOSE[role])
        : null,
      fingerprintSha256: fingerprint,
      notBefore: certificate.notBefore.getTime(),
      notAfter: certificate.notAfter.getTime(),
    };
  }

  private async required(): Promise<{ root: CaRecord; intermediate: CaRecord }> {
    const records = await this.records();
    if (!records) {
      throw new DeviceTrustError('ERR_CA_NOT_INITIALIZED', 'the device CA is not set up: run "latchkey ca init"');
    }
    return records;
  }
}

function pkcs8Pem(pem: string): string {
  return createPrivateKey({ key: pem, format: 'pem' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}
