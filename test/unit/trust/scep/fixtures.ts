// SCEP fixtures made by our own code at test start: a fresh CA and RA (RSA key as a KeyObject, a WebCrypto
// signing key, its certificate issued by the intermediate) and requesters with self-signed certificates.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { issueRaCertificate } from '../../../../src/trust/scep/ra-certificate.js';
import { rejectionSecret } from '../../../../src/trust/scep/key-transport.js';
import { newRequesterKey, type RequesterKey, selfSignedCertificate } from '../../../../src/trust/scep/requester.js';
import type { x509 } from '../../../../src/trust/x509.js';
import { makeCa, type TestCa } from '../fixtures.js';

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export interface TestRa {
  testCa: TestCa;
  certificate: x509.X509Certificate;
  privateKey: KeyObject;
  privateKeyPem: string;
  rejectionSecret: Uint8Array;
  signingKey: CryptoKey;
}

/** A CA (valid now) and an RA certificate with a fresh 2048-bit key. */
export async function makeRa(now = new Date()): Promise<TestRa> {
  const testCa = await makeCa(now);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = await crypto.subtle.importKey(
    'spki',
    createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
    RSA,
    true,
    ['verify'],
  );
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    RSA,
    false,
    ['sign'],
  );
  const certificate = await issueRaCertificate({ ca: testCa.ca, publicKey, now, lifetimeDays: 365 });
  return {
    testCa,
    certificate,
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    rejectionSecret: rejectionSecret(privateKey),
    signingKey,
  };
}

export interface TestRequester {
  key: RequesterKey;
  certificate: x509.X509Certificate;
  privateKey: KeyObject;
}

/** A requester: an RSA key of `bits` and its self-signed certificate. */
export async function makeRequester(bits = 2048, subject = 'CN=device'): Promise<TestRequester> {
  const key = await newRequesterKey(bits);
  return {
    key,
    certificate: await selfSignedCertificate(key.keys, subject, new Date()),
    privateKey: createPrivateKey(key.privateKeyPem),
  };
}
