// `latchkey ca init`: generates Latchkey's own device CA, a self-signed root and an intermediate that
// issues device certificates. Keys are ECDSA (P-384 by default); the root's key is only needed again to
// issue a new intermediate, so operators may keep it offline.
import { toPem } from '../pem.js';
import {
  CLOCK_SKEW_MS,
  DEFAULT_INTERMEDIATE_LIFETIME_YEARS,
  DEFAULT_ROOT_LIFETIME_YEARS,
  INTERMEDIATE_CA_COMMON_NAME,
  ROOT_CA_COMMON_NAME,
} from '../profile.js';
import { randomSerial } from '../serial.js';
import { TrustParameterError } from '../errors.js';
import { x509 } from '../x509.js';
import type { GeneratedCa } from './authority.js';
import { type CaSigner, webCryptoSigner, x509SigningParams } from './signer.js';

export type CaCurve = 'P-256' | 'P-384';

export interface CreateRootCaOptions {
  now: Date;
  /** Years until the root expires (default 20). */
  lifetimeYears?: number;
  /** Subject CN (default "Latchkey Device Identification Root CA"). */
  commonName?: string;
  /** Optional subject O, e.g. the organisation's name. */
  organization?: string;
  /** Key curve (default P-384). */
  curve?: CaCurve;
}

export interface CreateIntermediateCaOptions extends Omit<CreateRootCaOptions, 'lifetimeYears'> {
  /** The root that signs the intermediate. */
  root: { certificate: x509.X509Certificate; signer: CaSigner };
  /** Years until the intermediate expires (default 10, never past the root's expiry). */
  lifetimeYears?: number;
}

/** Creates a self-signed root CA: CA:true pathLen 1, keyCertSign + cRLSign, both critical; SKI. */
export async function createRootCa(options: CreateRootCaOptions): Promise<GeneratedCa> {
  const keys = await generateCaKeys(options.curve ?? 'P-384');
  const signer = webCryptoSigner(keys.privateKey, keys.publicKey);
  const name = caName(options.commonName ?? ROOT_CA_COMMON_NAME, options.organization);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const signing = x509SigningParams(signer);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: name,
      issuer: name,
      notBefore: new Date(options.now.getTime() - CLOCK_SKEW_MS),
      notAfter: addYears(options.now, lifetime(options.lifetimeYears, DEFAULT_ROOT_LIFETIME_YEARS)),
      publicKey: keys.publicKey,
      extensions: [...caExtensions(1), ski, new x509.AuthorityKeyIdentifierExtension(ski.keyId)],
      ...signing.params,
    },
    signing.crypto,
  );
  return generated(certificate, keys, signer);
}

/** Creates an intermediate CA signed by `options.root`: CA:true pathLen 0, keyCertSign + cRLSign; SKI/AKI. */
export async function createIntermediateCa(options: CreateIntermediateCaOptions): Promise<GeneratedCa> {
  const { root } = options;
  const keys = await generateCaKeys(options.curve ?? 'P-384');
  const notAfter = addYears(options.now, lifetime(options.lifetimeYears, DEFAULT_INTERMEDIATE_LIFETIME_YEARS));
  const signing = x509SigningParams(root.signer);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: caName(options.commonName ?? INTERMEDIATE_CA_COMMON_NAME, options.organization),
      issuer: root.certificate.subjectName,
      notBefore: new Date(options.now.getTime() - CLOCK_SKEW_MS),
      notAfter: notAfter < root.certificate.notAfter ? notAfter : root.certificate.notAfter,
      publicKey: keys.publicKey,
      extensions: [
        ...caExtensions(0),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await authorityKeyIdentifier(root.certificate),
      ],
      ...signing.params,
    },
    signing.crypto,
  );
  return generated(certificate, keys, webCryptoSigner(keys.privateKey, keys.publicKey));
}

/** Creates root and intermediate in one go, as `latchkey ca init` does. */
export async function createDeviceCa(
  options: Omit<CreateRootCaOptions, 'commonName'> & { intermediateLifetimeYears?: number },
): Promise<{ root: GeneratedCa; intermediate: GeneratedCa }> {
  const root = await createRootCa(options);
  const intermediate = await createIntermediateCa({
    ...options,
    lifetimeYears: options.intermediateLifetimeYears,
    root,
  });
  return { root, intermediate };
}

/** AKI naming `issuer`'s key: its SKI when present (so path builders match), else computed from its key. */
export async function authorityKeyIdentifier(
  issuer: x509.X509Certificate,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski
    ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
    : x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

function caExtensions(pathLength: number): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

function caName(commonName: string, organization: string | undefined): x509.Name {
  return new x509.Name(organization ? [{ O: [organization] }, { CN: [commonName] }] : [{ CN: [commonName] }]);
}

async function generateCaKeys(curve: CaCurve): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
}

function lifetime(years: number | undefined, fallback: number): number {
  const value = years ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > 50) {
    throw new TrustParameterError('CA lifetime must be a whole number of years between 1 and 50', { years: value });
  }
  return value;
}

function addYears(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

async function generated(
  certificate: x509.X509Certificate,
  keys: CryptoKeyPair,
  signer: CaSigner,
): Promise<GeneratedCa> {
  const pkcs8 = await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificate,
    certificatePem: toPem(certificate.rawData, 'CERTIFICATE'),
    privateKeyPem: toPem(pkcs8, 'PRIVATE KEY'),
    signer,
  };
}
