// The SCEP endpoint on the wire, driven by Latchkey's own requester (certmonger.test.ts drives a foreign
// one): GetCACaps, GetCACert, PKIOperation by GET and POST, the certificate it issues, and every way a
// request is refused: HTTP 400 for input that is no pkiMessage, CertRep FAILURE with the right failInfo
// for the rest. A refused request writes nothing but its audit event.
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashChallenge } from '../../../src/store/scep.js';
import { toArrayBuffer } from '../../../src/trust/pem.js';
import { octets, printable } from '../../../src/trust/scep/attributes.js';
import { sealEnvelope } from '../../../src/trust/scep/envelope.js';
import { SCEP_ATTRIBUTE } from '../../../src/trust/scep/protocol.js';
import { buildPkiRequest, certificateRequest, newRequesterKey } from '../../../src/trust/scep/requester.js';
import { signPkiMessage } from '../../../src/trust/scep/sign.js';
import { x509 } from '../../../src/trust/x509.js';
import { DEVICE_CERTIFICATE_CN_PREFIX } from '../../../src/trust/profile.js';
import { backendName } from '../../helpers/backend.js';
import type { TestServer } from '../../helpers/server.js';
import { mutualTlsFetch } from '../device-trust/helpers.js';
import {
  caCertificates,
  des3Envelope,
  enroll,
  type EnrollOptions,
  mutateEnvelope,
  mutateSignedData,
  newDevice,
  privateKeyPem,
  type ScepAnswer,
  scepCounts,
  type ScepDevice,
  scepUrl,
  sendPkiOperation,
  startScepServer,
} from './helpers.js';

const ALICE = [{ type: 'email' as const, value: 'alice@example.com' }];

describe(`SCEP protocol and refusals [${backendName()}]`, () => {
  let server: TestServer;
  let staticChallenge: string;
  let ra: x509.X509Certificate;

  const scep = () => server.app.services.scep;
  const counts = () => scepCounts(server.app.services.db);
  const oneTime = async (user: string, profile = 'ios') =>
    (await scep().createChallenge(user, profile, { actor: 'test' })).challenge;

  /** Runs `attempt` and expects a CertRep FAILURE with `failInfo`/`code` and no new rows. */
  async function refused(
    attempt: () => Promise<ScepAnswer>,
    expected: { failInfo: string; code: string; text?: string | RegExp },
  ): Promise<void> {
    const before = await counts();
    const answer = await attempt();
    expect({ http: answer.httpStatus, status: answer.certRep?.status, failInfo: answer.certRep?.failInfo }).toEqual({
      http: 200,
      status: 'FAILURE',
      failInfo: expected.failInfo,
    });
    if (expected.text) expect(answer.certRep!.failInfoText).toMatch(expected.text);
    expect(await counts()).toEqual(before);
    const [last] = await server.app.services.audit.search({ limit: 1 });
    expect(last).toMatchObject({ outcome: 'failure', reasons: [expected.code] });
  }

  /** Expects HTTP 400 with `code`, nothing written, and a scep.request audit event. */
  async function unreadable(attempt: () => Promise<ScepAnswer>, code: string, message: RegExp): Promise<void> {
    const before = await counts();
    const answer = await attempt();
    expect(answer.httpStatus).toBe(400);
    expect(answer.error).toMatchObject({ error: code });
    expect(answer.error!.error_description).toMatch(message);
    expect(await counts()).toEqual(before);
    const [last] = await server.app.services.audit.search({ limit: 1 });
    expect(last).toMatchObject({ event: 'scep.request', outcome: 'failure', reasons: [code] });
  }

  const aliceEnroll = (device: ScepDevice, options: EnrollOptions = {}) =>
    enroll(server, device, { challenge: staticChallenge, names: ALICE, ...options });

  beforeAll(async () => {
    server = await startScepServer();
    await server.addUser('alice');
    await server.addUser('bob');
    const { user: carol } = await server.addUser('carol');
    await server.app.services.users.setDisabled(carol.id, true);
    staticChallenge = await scep().rotateStaticChallenge('ios', { actor: 'test' });
    ra = (await caCertificates(server))[0]!;
  });
  afterAll(async () => server?.close());

  describe('GetCACaps and GetCACert', () => {
    it('answers GetCACaps with exactly what is supported, one per line', async () => {
      const response = await server.fetch(`${scepUrl(server)}?operation=GetCACaps`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toBe('POSTPKIOperation\nSHA-256\nAES\nSCEPStandard\nRenewal\n');
    });

    it('answers GetCACert with a certs-only message: the RA (RSA, encipherment + signature, issued by the intermediate), the intermediate, the root', async () => {
      const response = await server.fetch(`${scepUrl(server)}?operation=GetCACert&message=any-ca`);
      expect(response.headers.get('content-type')).toBe('application/x-x509-ca-ra-cert');
      const [raCert, intermediate, root] = await caCertificates(server);
      const ca = (await server.app.services.deviceTrust.showCa())!;
      expect(intermediate!.toString('pem').trim()).toBe(ca.intermediatePem.trim());
      expect(root!.toString('pem').trim()).toBe(ca.rootPem.trim());
      expect(raCert!.subject).toBe('CN=Latchkey SCEP RA');
      expect(raCert!.issuer).toBe(intermediate!.subject);
      expect(await raCert!.verify({ publicKey: intermediate!, signatureOnly: true })).toBe(true);
      expect(raCert!.publicKey.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
      const usage = raCert!.getExtension(x509.KeyUsagesExtension)!;
      expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
      expect(raCert!.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    });

    it('serves every profile with the same RA, refuses unknown profiles (404) and operations (400)', async () => {
      const [macosRa] = await caCertificates(server, 'macos');
      expect(macosRa!.equal(ra)).toBe(true);
      const unknown = await server.fetch(`${scepUrl(server, 'nope')}?operation=GetCACaps`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({
        error: 'ERR_SCEP_PROFILE_UNKNOWN',
        error_description: 'no SCEP profile named "nope" (configured: ios, macos)',
      });
      for (const query of ['', '?operation=GetNextCACert', '?operation=GetCACaps&operation=GetCACert']) {
        const response = await server.fetch(`${scepUrl(server)}${query}`);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
        expect(((await response.json()) as { error: string }).error).toBe('ERR_SCEP_OPERATION');
      }
      const post = await server.fetch(`${scepUrl(server)}?operation=GetCACert`, { method: 'POST', body: 'x' });
      expect(post.status).toBe(400);
    });
  });

  describe('PKCSReq', () => {
    it('issues over POST a certificate of the agent profile, for a new managed device of the profile’s platform and the user the email names', async () => {
      const before = await counts();
      const device = await newDevice();
      const answer = await aliceEnroll(device, { subject: 'CN=alice-iphone' });
      expect(answer.certRep).toMatchObject({ status: 'SUCCESS' });
      const [issued, intermediate] = answer.certRep!.certificates!;
      expect(issued!.subject).toMatch(new RegExp(`^CN=${DEVICE_CERTIFICATE_CN_PREFIX} [0-9a-f]{8}$`));
      expect(issued!.issuer).toBe(intermediate!.subject);
      expect(issued!.publicKey.rawData).toEqual(device.selfSigned.publicKey.rawData);
      expect(issued!.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
      expect(issued!.getExtension(x509.CRLDistributionPointsExtension)).not.toBeNull();
      const lifetimeDays = (issued!.notAfter.getTime() - issued!.notBefore.getTime()) / 86_400_000;
      expect(lifetimeDays).toBeCloseTo(30, 1);
      const urn = issued!.getExtension(x509.SubjectAlternativeNameExtension)!.names.items[0]!.value;
      const deviceId = urn.replace('urn:latchkey:device:', '');
      const alice = await server.app.services.users.findByUsername('alice');
      expect(await server.app.services.deviceTrust.device(deviceId)).toMatchObject({
        userId: alice!.id,
        platform: 'ios',
        source: 'scep',
        managed: true,
        integrity: 'unknown',
        hostname: 'alice-iphone',
        status: 'active',
      });
      expect(await counts()).toEqual({
        ...before,
        devices: before.devices + 1,
        certificates: before.certificates + 1,
        transactions: before.transactions + 1,
      });
      const [event] = await server.app.services.audit.search({ event: 'scep.enroll', limit: 1 });
      expect(event).toMatchObject({ outcome: 'success', userId: alice!.id, deviceId, detail: { profile: 'ios' } });
    });

    it('issues over GET too, maps a UPN to its user, and the certificate passes the device check like an agent’s', async () => {
      const device = await newDevice();
      const answer = await enroll(server, device, {
        method: 'GET',
        challenge: staticChallenge,
        names: [{ type: 'upn', value: 'BOB@example.com' }],
      });
      expect(answer.certRep).toMatchObject({ status: 'SUCCESS' });
      const client = mutualTlsFetch(server, {
        certificatePem: device.certificate!.toString('pem'),
        chainPem: [answer.certRep!.certificates![1]!.toString('pem')],
        privateKeyPem: privateKeyPem(device),
      });
      try {
        const checked = (await (await client.fetch(`${server.deviceCheckUrl}/device/check`)).json()) as {
          status: string;
          device: { userId: string; platform: string };
        };
        const bob = await server.app.services.users.findByUsername('bob');
        expect(checked).toMatchObject({ status: 'managed', device: { userId: bob!.id, platform: 'ios' } });
      } finally {
        await client.close();
      }
    });

    it('records a "passed" profile’s devices as trusted (the macos profile vouches for integrity)', async () => {
      const challenge = await oneTime('alice', 'macos');
      const device = await newDevice();
      const answer = await enroll(server, device, { profile: 'macos', challenge });
      expect(answer.certRep).toMatchObject({ status: 'SUCCESS' });
      const check = await server.app.services.deviceTrust.check(new Uint8Array(device.certificate!.rawData));
      expect(check).toMatchObject({ status: 'trusted', device: { platform: 'macos' } });
    });
  });

  describe('challenges', () => {
    it('refuses a wrong static challenge (badRequest)', async () => {
      await refused(() => aliceEnroll(pooledDevice(), { challenge: 'lks-0000' }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_CHALLENGE_UNKNOWN',
      });
    });

    it('refuses a request without a challenge (badRequest)', async () => {
      await refused(() => aliceEnroll(pooledDevice(), { challenge: undefined }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_CHALLENGE_MISSING',
      });
    });

    it('accepts a one-time challenge once; its reuse is refused (badRequest)', async () => {
      const challenge = await oneTime('bob');
      expect((await enroll(server, await newDevice(), { challenge })).certRep?.status).toBe('SUCCESS');
      await refused(() => enroll(server, pooledDevice(), { challenge }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_CHALLENGE_USED',
      });
    });

    it('refuses an expired one-time challenge (badRequest)', async () => {
      const challenge = await oneTime('bob');
      await server.app.services
        .db('scep_challenges')
        .where({ challenge_hash: hashChallenge(challenge) })
        .update({ expires_at: Date.now() - 1000 });
      await refused(() => enroll(server, pooledDevice(), { challenge }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_CHALLENGE_EXPIRED',
      });
    });

    it('refuses a one-time challenge of another profile (badRequest)', async () => {
      const challenge = await oneTime('bob', 'macos');
      await refused(() => enroll(server, pooledDevice(), { challenge }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_CHALLENGE_PROFILE',
      });
    });

    it('refuses a one-time challenge of another user than the request names (badRequest)', async () => {
      const challenge = await oneTime('bob');
      await refused(() => enroll(server, pooledDevice(), { challenge, names: ALICE }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_IDENTITY_MISMATCH',
      });
    });

    it('refuses the static challenge for an unknown, an ambiguous or a disabled user (badRequest)', async () => {
      const cases: Array<[x509.JsonGeneralNames | undefined, string]> = [
        [undefined, 'ERR_SCEP_IDENTITY_UNKNOWN'],
        [[{ type: 'email', value: 'mallory@example.com' }], 'ERR_SCEP_IDENTITY_UNKNOWN'],
        [[...ALICE, { type: 'upn', value: 'bob@example.com' }], 'ERR_SCEP_IDENTITY_AMBIGUOUS'],
        [[{ type: 'email', value: 'carol@example.com' }], 'ERR_USER_DISABLED'],
      ];
      for (const [names, code] of cases) {
        await refused(() => enroll(server, pooledDevice(), { challenge: staticChallenge, names }), {
          failInfo: 'badRequest',
          code,
        });
      }
    });

    it('stops accepting the previous static challenge once rotated', async () => {
      const previous = staticChallenge;
      staticChallenge = await scep().rotateStaticChallenge('ios', { actor: 'test' });
      await refused(() => aliceEnroll(pooledDevice(), { challenge: previous }), {
        failInfo: 'badRequest',
        code: 'ERR_SCEP_CHALLENGE_UNKNOWN',
      });
      expect((await aliceEnroll(await newDevice())).certRep?.status).toBe('SUCCESS');
    });

    it('issues exactly one certificate for 20 parallel PKCSReqs with one one-time challenge', async () => {
      const challenge = await oneTime('alice');
      const devices = await Promise.all(Array.from({ length: 20 }, () => newDevice()));
      const before = await counts();
      const answers = await Promise.all(devices.map((device) => enroll(server, device, { challenge })));
      const statuses = answers.map((answer) => answer.certRep?.status ?? `HTTP ${answer.httpStatus}`);
      expect(statuses.filter((status) => status === 'SUCCESS')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'FAILURE')).toHaveLength(19);
      for (const answer of answers.filter((a) => a.certRep?.status === 'FAILURE')) {
        expect(answer.certRep).toMatchObject({ failInfo: 'badRequest' });
      }
      expect(await counts()).toEqual({
        ...before,
        devices: before.devices + 1,
        certificates: before.certificates + 1,
        challengesUsed: before.challengesUsed + 1,
        transactions: before.transactions + 1,
      });
    });
  });

  describe('keys and algorithms', () => {
    it('refuses an RSA-1024 requester (badAlg)', async () => {
      const device = await newDevice('CN=weak', 1024);
      await refused(() => aliceEnroll(device), {
        failInfo: 'badAlg',
        code: 'ERR_SCEP_SIGNER_KEY',
        text: /1024 bits/,
      });
    });

    it('refuses ECDSA requesters, P-256 and P-521 alike: the answer could not be encrypted to them (badAlg)', async () => {
      for (const namedCurve of ['P-256', 'P-521']) {
        const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, true, [
          'sign',
          'verify',
        ])) as CryptoKeyPair;
        const signer = await x509.X509CertificateGenerator.createSelfSigned({
          serialNumber: '01',
          name: 'CN=ec',
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 86_400_000),
          keys,
          signingAlgorithm: { name: 'ECDSA', hash: namedCurve === 'P-256' ? 'SHA-256' : 'SHA-512' },
        });
        const device = pooledDevice();
        await refused(
          () =>
            aliceEnroll(device, {
              csrKeys: keys,
              message: { signer: { certificate: signer, privateKey: keys.privateKey } },
            }),
          { failInfo: 'badAlg', code: 'ERR_SCEP_SIGNER_KEY', text: /RSA/ },
        );
      }
    });

    it('refuses a CSR for a P-521 key (unsupported, badAlg) and for a P-256 key (not RSA, badAlg)', async () => {
      const p521 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      await refused(() => aliceEnroll(pooledDevice(), { csrKeys: p521 }), {
        failInfo: 'badAlg',
        code: 'ERR_CSR_UNSUPPORTED_KEY',
      });
      const p256 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      await refused(() => aliceEnroll(pooledDevice(), { csrKeys: p256 }), {
        failInfo: 'badAlg',
        code: 'ERR_SCEP_CSR_KEY',
      });
    });

    it('refuses a PKCSReq signed by another key than the one it asks to certify (badMessageCheck)', async () => {
      const other = await newRequesterKey();
      await refused(() => aliceEnroll(pooledDevice(), { csrKeys: other.keys }), {
        failInfo: 'badMessageCheck',
        code: 'ERR_SCEP_SIGNER_MISMATCH',
      });
    });

    it('refuses a SHA-1 signature (badAlg) and a DES3 envelope (badAlg)', async () => {
      await refused(() => aliceEnroll(pooledDevice(), { message: { hash: 'SHA-1' } }), {
        failInfo: 'badAlg',
        code: 'ERR_SCEP_DIGEST_ALGORITHM',
        text: /SHA-1/,
      });
      const device = await newDevice();
      const csr = await certificateRequest({
        keys: device.key.keys,
        subject: 'CN=d',
        challenge: staticChallenge,
        names: ALICE,
      });
      await refused(() => aliceEnroll(device, { message: { envelope: des3Envelope(csr, ra) } }), {
        failInfo: 'badAlg',
        code: 'ERR_SCEP_CONTENT_ALGORITHM',
        text: /DES3/,
      });
    });
  });

  describe('integrity and encryption', () => {
    it('refuses a request encrypted to another certificate than the RA’s (badCertId)', async () => {
      const stranger = await newDevice('CN=not the RA');
      await refused(() => aliceEnroll(pooledDevice(), { message: { recipient: stranger.selfSigned } }), {
        failInfo: 'badCertId',
        code: 'ERR_SCEP_RECIPIENT',
      });
    });

    it('refuses a signature that does not verify, and content altered after signing (badMessageCheck)', async () => {
      const device = await newDevice();
      const request = await buildRequest(device);
      const flipped = mutateSignedData(request.der, (signedData) => {
        const signature = new Uint8Array(signedData.signerInfos[0]!.signature.getValue());
        signature[10] = signature[10]! ^ 0xff;
        signedData.signerInfos[0]!.signature = new asn1js.OctetString({ valueHex: toArrayBuffer(signature) });
      });
      await refused(() => sendAs(device, request, flipped), {
        failInfo: 'badMessageCheck',
        code: 'ERR_SCEP_SIGNATURE',
      });
      const altered = mutateSignedData(request.der, (signedData) => {
        const content = new Uint8Array(signedData.encapContentInfo.eContent!.getValue());
        content[content.length - 5] = content[content.length - 5]! ^ 0x01;
        signedData.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: toArrayBuffer(content) });
      });
      await refused(() => sendAs(device, request, altered), {
        failInfo: 'badMessageCheck',
        code: 'ERR_SCEP_SIGNATURE',
      });
    });

    it('answers a wrong content key exactly like corrupt content: the same failInfo and text (no padding oracle)', async () => {
      const device = await newDevice();
      const csr = await certificateRequest({
        keys: device.key.keys,
        subject: 'CN=d',
        challenge: staticChallenge,
        names: ALICE,
      });
      const sealed = sealEnvelope(csr, ra, 'aes-256-cbc');
      const wrongKey = mutateEnvelope(sealed, (enveloped) => {
        const info = enveloped.recipientInfos[0]!.value as { encryptedKey: asn1js.OctetString };
        info.encryptedKey = new asn1js.OctetString({ valueHex: toArrayBuffer(randomBytes(256)) });
      });
      const wrongContent = mutateEnvelope(sealed, (enveloped) => {
        const content = new Uint8Array(enveloped.encryptedContentInfo.getEncryptedContent());
        content[content.length - 1] = content[content.length - 1]! ^ 0x55;
        enveloped.encryptedContentInfo.encryptedContent = new asn1js.OctetString({ valueHex: toArrayBuffer(content) });
      });
      const texts: string[] = [];
      for (const envelope of [wrongKey, wrongContent]) {
        const answer = await aliceEnroll(device, { message: { envelope } });
        expect(answer.certRep).toMatchObject({ status: 'FAILURE', failInfo: 'badMessageCheck' });
        texts.push(answer.certRep!.failInfoText!);
        const [last] = await server.app.services.audit.search({ limit: 1 });
        expect(last!.reasons).toEqual(['ERR_SCEP_DECRYPT']);
      }
      expect(texts[0]).toBe(texts[1]);
    });

    it('refuses a signingTime an hour and more away (badTime)', async () => {
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      await refused(() => aliceEnroll(pooledDevice(), { message: { now: twoHoursAgo } }), {
        failInfo: 'badTime',
        code: 'ERR_SCEP_SIGNING_TIME',
      });
    });

    it('refuses message types other than PKCSReq and RenewalReq (badRequest)', async () => {
      for (const messageType of ['20', '21', '22', '3', '99']) {
        await refused(() => aliceEnroll(pooledDevice(), { message: { messageType } }), {
          failInfo: 'badRequest',
          code: 'ERR_SCEP_MESSAGE_TYPE',
        });
      }
    });

    it('answers a replayed request once: the second copy is refused (badRequest)', async () => {
      const device = await newDevice();
      const request = await buildRequest(device);
      expect((await sendAs(device, request, request.der)).certRep?.status).toBe('SUCCESS');
      await refused(() => sendAs(device, request, request.der), { failInfo: 'badRequest', code: 'ERR_SCEP_REPLAY' });
    });

    it('refuses enrollment while certificate distribution is off (badRequest)', async () => {
      await server.app.services.deviceTrust.setDistribution(false, { actor: 'test' });
      try {
        await refused(() => aliceEnroll(pooledDevice()), {
          failInfo: 'badRequest',
          code: 'ERR_DEVICE_DISTRIBUTION_OFF',
        });
      } finally {
        await server.app.services.deviceTrust.setDistribution(true, { actor: 'test' });
      }
    });

    it('refuses a RenewalReq before the renewal window opens (badRequest)', async () => {
      const device = await newDevice();
      expect((await aliceEnroll(device)).certRep?.status).toBe('SUCCESS');
      await refused(() => enroll(server, device, { message: { messageType: 'RenewalReq' } }), {
        failInfo: 'badRequest',
        code: 'ERR_RENEWAL_NOT_DUE',
        text: /^renewal is not due until/,
      });
    });
  });

  describe('unreadable input (HTTP 400)', () => {
    const post = (body: Uint8Array | string) => async (): Promise<ScepAnswer> => {
      const response = await server.fetch(`${scepUrl(server)}?operation=PKIOperation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-pki-message' },
        body: typeof body === 'string' ? body : Buffer.from(body),
      });
      return { httpStatus: response.status, error: (await response.json()) as ScepAnswer['error'] };
    };

    it('refuses garbage, and a truncated pkiMessage', async () => {
      await unreadable(post(randomBytes(300)), 'ERR_SCEP_MALFORMED', /neither DER nor base64|not DER/);
      await unreadable(post(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), 'ERR_SCEP_MALFORMED', /ContentInfo/);
      const request = await buildRequest(await newDevice());
      await unreadable(post(request.der.subarray(0, request.der.length - 100)), 'ERR_SCEP_MALFORMED', /truncated/);
      await unreadable(post(Buffer.concat([request.der, Buffer.from([0, 0])])), 'ERR_SCEP_MALFORMED', /after its end/);
    });

    it('refuses a GET without a message, or with one that is not base64', async () => {
      const get = (query: string) => async (): Promise<ScepAnswer> => {
        const response = await server.fetch(`${scepUrl(server)}?operation=PKIOperation${query}`);
        return { httpStatus: response.status, error: (await response.json()) as ScepAnswer['error'] };
      };
      const before = await counts();
      const missing = await get('')();
      expect(missing).toMatchObject({ httpStatus: 400, error: { error: 'ERR_SCEP_MALFORMED' } });
      const notBase64 = await get('&message=%%%')();
      expect(notBase64.httpStatus).toBe(400);
      expect(await counts()).toEqual(before);
    });

    it('refuses a certs-only message (no signer) and a signed message without transactionID', async () => {
      const certsOnly = new Uint8Array(
        await (await server.fetch(`${scepUrl(server)}?operation=GetCACert`)).arrayBuffer(),
      );
      await unreadable(post(certsOnly), 'ERR_SCEP_NOT_SIGNED', /0 signers/);
      const device = await newDevice();
      const unnamed = await signPkiMessage({
        signer: { certificate: device.selfSigned, privateKey: device.key.keys.privateKey },
        content: new Uint8Array([1, 2, 3]),
        attributes: [printable(SCEP_ATTRIBUTE.messageType, '19'), octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(16))],
        now: new Date(),
      });
      await unreadable(post(unnamed), 'ERR_SCEP_ATTRIBUTE', /no transactionID/);
    });

    it('refuses a body over 64 KiB (413) without reading it', async () => {
      const response = await server.fetch(`${scepUrl(server)}?operation=PKIOperation`, {
        method: 'POST',
        body: Buffer.alloc(70 * 1024, 0x30),
      });
      expect(response.status).toBe(413);
    });
  });

  async function buildRequest(device: ScepDevice) {
    const csr = await certificateRequest({
      keys: device.key.keys,
      subject: 'CN=d',
      challenge: staticChallenge,
      names: ALICE,
    });
    return buildPkiRequest({
      messageType: 'PKCSReq',
      csr,
      signer: { certificate: device.selfSigned, privateKey: device.key.keys.privateKey },
      recipient: ra,
      now: new Date(),
    });
  }

  function sendAs(device: ScepDevice, request: Awaited<ReturnType<typeof buildRequest>>, der: Uint8Array) {
    return sendPkiOperation(server, der, {
      request,
      requester: { certificate: device.selfSigned, privateKeyPem: device.key.privateKeyPem },
    });
  }
});

// RSA keys are the slow part of these tests: refusals that never get a certificate share a small pool.
const pool: ScepDevice[] = [];
function pooledDevice(): ScepDevice {
  return pool[Math.floor(Math.random() * pool.length)]!;
}
beforeAll(async () => {
  pool.push(...(await Promise.all(Array.from({ length: 4 }, () => newDevice()))));
});
