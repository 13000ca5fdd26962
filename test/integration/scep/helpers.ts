// What the SCEP integration tests share: a Latchkey with a device CA and two SCEP profiles, a requester
// built on src/trust/scep/requester.ts (the protocol tests' client; certmonger is the foreign one), and
// row counts of everything a SCEP request may write (to prove that a refused one wrote nothing).
import { createCipheriv, createPrivateKey, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../../../src/trust/pem.js';
import { envelopedData } from '../../../src/trust/scep/envelope.js';
import { certificatesOf } from '../../../src/trust/scep/certs-only.js';
import {
  buildPkiRequest,
  certificateRequest,
  newRequesterKey,
  type PkiRequest,
  type PkiRequestInput,
  readCertRep,
  type CertRepResult,
  type RequesterKey,
  selfSignedCertificate,
} from '../../../src/trust/scep/requester.js';
import { x509 } from '../../../src/trust/x509.js';
import type { Database } from '../../../src/store/database.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, countRows, type ProcessResult } from '../device-trust/helpers.js';

export const PROFILES = { ios: { platform: 'ios' }, macos: { platform: 'macos', integrity: 'passed' } };

/** A Latchkey with a device CA and the SCEP profiles "ios" and "macos". */
export async function startScepServer(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const { scep, ...rest } = overrides as { scep?: Record<string, unknown> };
  const server = await startServer({ ...rest, scep: { profiles: PROFILES, ...scep } });
  await server.app.services.deviceTrust.initCa({ actor: 'test' });
  return server;
}

export const scepUrl = (server: TestServer, profile = 'ios') => `${server.issuer}/scep/${profile}`;

/** GetCACert, parsed: [RA, intermediate, root]. */
export async function caCertificates(server: TestServer, profile = 'ios'): Promise<x509.X509Certificate[]> {
  const response = await server.fetch(`${scepUrl(server, profile)}?operation=GetCACert`);
  if (response.status !== 200) throw new Error(`GetCACert: ${response.status} ${await response.text()}`);
  return certificatesOf(new Uint8Array(await response.arrayBuffer()));
}

/** A device as an MDM makes it: an RSA key, its self-signed certificate, and what it has been issued. */
export interface ScepDevice {
  key: RequesterKey;
  selfSigned: x509.X509Certificate;
  /** The issued certificate, after a SUCCESS. */
  certificate?: x509.X509Certificate;
}

export async function newDevice(subject = 'CN=test-device', bits = 2048): Promise<ScepDevice> {
  const key = await newRequesterKey(bits);
  return { key, selfSigned: await selfSignedCertificate(key.keys, subject, new Date()) };
}

export interface SendOptions {
  profile?: string;
  method?: 'GET' | 'POST';
}

export interface ScepAnswer {
  httpStatus: number;
  /** Parsed CertRep (HTTP 200) or the JSON error body. */
  certRep?: CertRepResult;
  error?: { error: string; error_description: string };
}

/** Sends prepared bytes as a PKIOperation; reads the CertRep for `request` when HTTP 200. */
export async function sendPkiOperation(
  server: TestServer,
  der: Uint8Array,
  expect: { request: PkiRequest; requester: { certificate: x509.X509Certificate; privateKeyPem: string } } | null,
  options: SendOptions = {},
): Promise<ScepAnswer> {
  const url = `${scepUrl(server, options.profile)}?operation=PKIOperation`;
  const response =
    options.method === 'GET'
      ? await server.fetch(`${url}&message=${encodeURIComponent(Buffer.from(der).toString('base64'))}`)
      : await server.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-pki-message' },
          body: Buffer.from(der),
        });
  if (response.status !== 200) {
    return { httpStatus: response.status, error: (await response.json()) as ScepAnswer['error'] };
  }
  if (response.headers.get('content-type') !== 'application/x-pki-message') throw new Error('not a pki-message');
  const body = new Uint8Array(await response.arrayBuffer());
  return { httpStatus: 200, certRep: expect ? await readCertRep(body, expect) : undefined };
}

export interface EnrollOptions extends SendOptions {
  challenge?: string;
  names?: x509.JsonGeneralNames;
  subject?: string;
  /** Overrides of the pkiMessage (messageType, signer, recipient, nonce, ...). */
  message?: Partial<PkiRequestInput>;
  /** The key the CSR certifies (default: the device's). */
  csrKeys?: CryptoKeyPair;
}

/** A PKCSReq (or what `options.message` makes of it) from `device`, answered. */
export async function enroll(server: TestServer, device: ScepDevice, options: EnrollOptions = {}): Promise<ScepAnswer> {
  const [ra] = await caCertificates(server, options.profile);
  const csr = await certificateRequest({
    keys: options.csrKeys ?? device.key.keys,
    subject: options.subject ?? 'CN=test-device',
    challenge: options.challenge,
    names: options.names,
  });
  const signer = { certificate: device.certificate ?? device.selfSigned, privateKey: device.key.keys.privateKey };
  const request = await buildPkiRequest({
    messageType: 'PKCSReq',
    csr,
    signer,
    recipient: ra!,
    now: new Date(),
    ...options.message,
  });
  const answer = await sendPkiOperation(
    server,
    request.der,
    {
      request,
      requester: {
        certificate: options.message?.signer?.certificate ?? signer.certificate,
        privateKeyPem: device.key.privateKeyPem,
      },
    },
    options,
  );
  const issued = answer.certRep?.certificates?.[0];
  if (issued) device.certificate = issued;
  return answer;
}

export interface ScepCounts {
  devices: number;
  certificates: number;
  revokedCertificates: number;
  challengesUsed: number;
  transactions: number;
}

/** Row counts of what SCEP writes. */
export async function scepCounts(db: Database): Promise<ScepCounts> {
  const count = (table: string, where?: (query: ReturnType<Database>) => void) => countRows(db, table, where);
  return {
    devices: await count('devices'),
    certificates: await count('device_certificates'),
    revokedCertificates: await count('device_certificates', (q) => void q.whereNotNull('revoked_at')),
    challengesUsed: await count('scep_challenges', (q) => void q.whereNotNull('used_at')),
    transactions: await count('scep_transactions'),
  };
}

/** The private key of `device` as a PEM (for TLS clients). */
export function privateKeyPem(device: ScepDevice): string {
  return createPrivateKey(device.key.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The admin CLI `latchkey` as a real process, with the test's SCEP profiles in a config file. */
export function scepCli(server: TestServer): (args: readonly string[]) => Promise<ProcessResult> {
  const configFile = path.join(server.dataDir, 'scep-test.yaml');
  writeFileSync(configFile, stringifyYaml({ scep: { profiles: PROFILES } }));
  return adminCli(server, { LATCHKEY_CONFIG: configFile });
}

/** A TCP port free right now on 127.0.0.1 (for the plain-HTTP SCEP listener). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Re-encodes the pkiMessage `der` after `mutate` changed its SignedData (to forge or break it). */
export function mutateSignedData(der: Uint8Array, mutate: (signedData: pkijs.SignedData) => void): Uint8Array {
  const info = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
  const signedData = new pkijs.SignedData({ schema: info.content });
  mutate(signedData);
  return new Uint8Array(
    new pkijs.ContentInfo({ contentType: info.contentType, content: signedData.toSchema(true) }).toSchema().toBER(),
  );
}

/** Re-encodes the envelope `der` after `mutate` changed its EnvelopedData. */
export function mutateEnvelope(der: Uint8Array, mutate: (enveloped: pkijs.EnvelopedData) => void): Uint8Array {
  const info = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
  const enveloped = new pkijs.EnvelopedData({ schema: info.content });
  mutate(enveloped);
  return new Uint8Array(
    new pkijs.ContentInfo({ contentType: info.contentType, content: enveloped.toSchema() }).toSchema().toBER(),
  );
}

/** An envelope as a client that only knows DES3 would make it (Latchkey advertises AES only). */
export function des3Envelope(content: Uint8Array, recipient: x509.X509Certificate): Uint8Array {
  const contentKey = randomBytes(24);
  const iv = randomBytes(8);
  const cipher = createCipheriv('des-ede3-cbc', contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  return envelopedData({ recipientCertificate: recipient, contentKey, cipherOid: '1.2.840.113549.3.7', iv, encrypted });
}
