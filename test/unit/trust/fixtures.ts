// Test fixtures made by our own code at test start: a fresh CA per run, device keys and CSRs, openssl
// helpers for independent checks. No key material is ever committed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDeviceCa } from '../../../src/trust/ca/create.js';
import type { GeneratedCa, IssuingCa } from '../../../src/trust/ca/authority.js';
import { issueDeviceCertificate, type IssuedDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { authorityKeyIdentifier } from '../../../src/trust/ca/create.js';
import { webCryptoSigner, x509SigningParams } from '../../../src/trust/ca/signer.js';
import { toPem } from '../../../src/trust/pem.js';
import { randomSerial } from '../../../src/trust/serial.js';
import { x509 } from '../../../src/trust/x509.js';

export const NOW = new Date('2030-03-15T12:00:00Z');
export const CRL_URL = 'http://localhost:8443/device/crl';
export const DAY = 24 * 60 * 60 * 1000;

export interface TestCa {
  root: GeneratedCa;
  intermediate: GeneratedCa;
  ca: IssuingCa;
}

/** A fresh root + intermediate, created with the same code `latchkey ca init` uses. */
export async function makeCa(now = NOW): Promise<TestCa> {
  const { root, intermediate } = await createDeviceCa({ now });
  return {
    root,
    intermediate,
    ca: { root: root.certificate, intermediate: intermediate.certificate, signer: intermediate.signer },
  };
}

/** An ECDSA key pair of `curve` (default P-256). */
export async function ecKeys(curve: 'P-256' | 'P-384' | 'P-521' = 'P-256'): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
}

/** An RSA key pair of `bits`. */
export async function rsaKeys(bits: number): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
}

/** A PEM CSR for `keys` (the signing algorithm follows the key type). */
export async function csrFor(keys: CryptoKeyPair, subject = 'CN=requested-by-device'): Promise<string> {
  const algorithm = keys.privateKey.algorithm;
  const signingAlgorithm = algorithm.name === 'ECDSA' ? ({ name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams) : algorithm;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm });
  return toPem(csr.rawData, 'CERTIFICATE REQUEST');
}

/** Issues a device certificate for a fresh P-256 key with sensible defaults. */
export async function issueFor(
  testCa: TestCa,
  overrides: Partial<Parameters<typeof issueDeviceCertificate>[0]> = {},
): Promise<IssuedDeviceCertificate & { keys: CryptoKeyPair }> {
  const keys = await ecKeys();
  const issued = await issueDeviceCertificate({
    ca: testCa.ca,
    publicKey: keys.publicKey,
    deviceId: 'dev-0001',
    now: NOW,
    crlUrl: CRL_URL,
    ...overrides,
  });
  return { ...issued, keys };
}

/**
 * Signs an arbitrary certificate with `issuer` (no checks): how tests build certificates that Latchkey's
 * own issuing code would never produce (no clientAuth, CA flag missing, ...).
 */
export async function craftCertificate(options: {
  issuer: { certificate: x509.X509Certificate; signer: GeneratedCa['signer'] } | 'self';
  subject: string;
  publicKey?: CryptoKey;
  keys?: CryptoKeyPair;
  extensions: x509.Extension[];
  notBefore?: Date;
  notAfter?: Date;
}): Promise<{ certificate: x509.X509Certificate; signer: GeneratedCa['signer'] }> {
  const keys = options.keys ?? (await ecKeys('P-384'));
  const ownSigner = webCryptoSigner(keys.privateKey, keys.publicKey);
  const issuerSigner = options.issuer === 'self' ? ownSigner : options.issuer.signer;
  const issuerName =
    options.issuer === 'self' ? new x509.Name(options.subject) : options.issuer.certificate.subjectName;
  const aki = options.issuer === 'self' ? [] : [await authorityKeyIdentifier(options.issuer.certificate)];
  const signing = x509SigningParams(issuerSigner);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: options.subject,
      issuer: issuerName,
      notBefore: options.notBefore ?? new Date(NOW.getTime() - DAY),
      notAfter: options.notAfter ?? new Date(NOW.getTime() + 30 * DAY),
      publicKey: options.publicKey ?? keys.publicKey,
      extensions: [
        ...options.extensions,
        await x509.SubjectKeyIdentifierExtension.create(options.publicKey ?? keys.publicKey),
        ...aki,
      ],
      ...signing.params,
    },
    signing.crypto,
  );
  return { certificate, signer: ownSigner };
}

const temporaryDirectories: string[] = [];

// Every temporary directory (some hold test keys) is removed when the test file that made it finishes.
afterAll(() => {
  for (const dir of temporaryDirectories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'latchkey-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirectories.push(dir);
  return dir;
}

/** Writes `files` into a fresh temp dir and returns their paths by name. */
export function writeFiles(files: Record<string, string | Uint8Array>): Record<string, string> {
  const dir = tempDir();
  return Object.fromEntries(
    Object.entries(files).map(([name, contents]) => {
      const file = path.join(dir, name);
      writeFileSync(file, contents);
      return [name, file];
    }),
  );
}

/** Runs openssl; returns stdout+stderr and the exit status instead of throwing. */
export function openssl(args: string[], input?: string | Uint8Array): { status: number; output: string } {
  const result = spawnSync('/usr/bin/openssl', args, { input, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** `openssl verify -purpose sslclient` of `leafPem` under `rootPem` with `intermediatePem` as untrusted help, at `at`. */
export function opensslVerify(
  rootPem: string,
  intermediatePem: string,
  leafPem: string,
  at = NOW,
): { status: number; output: string } {
  const files = writeFiles({ 'root.pem': rootPem, 'intermediate.pem': intermediatePem, 'leaf.pem': leafPem });
  return openssl([
    'verify',
    '-attime',
    epochSeconds(at),
    '-purpose',
    'sslclient',
    '-CAfile',
    files['root.pem']!,
    '-untrusted',
    files['intermediate.pem']!,
    files['leaf.pem']!,
  ]);
}

/** Formats `date` for `openssl verify -attime` (seconds since the epoch). */
export function epochSeconds(date: Date): string {
  return String(Math.floor(date.getTime() / 1000));
}
