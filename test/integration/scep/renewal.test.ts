// Renewal over SCEP: a RenewalReq signed with the device's current certificate gets the next one (the key
// of its CSR, new or the same), the device record carries over and the old certificate is superseded in
// the same transaction. A certificate that is superseded, revoked, expired, not on record, of another CA
// or self-signed cannot renew, nor can any while distribution is off or for a disabled owner.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeviceTrustStore } from '../../../src/store/device-trust.js';
import { createDeviceCa } from '../../../src/trust/ca/create.js';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import type { IssuingCa } from '../../../src/trust/ca/authority.js';
import { newRequesterKey } from '../../../src/trust/scep/requester.js';
import { ActiveCa } from '../../../src/trust/service/active-ca.js';
import { x509 } from '../../../src/trust/x509.js';
import { backendName } from '../../helpers/backend.js';
import type { TestServer } from '../../helpers/server.js';
import { enroll, newDevice, type ScepAnswer, scepCounts, type ScepDevice, startScepServer } from './helpers.js';

const renewal = { message: { messageType: 'RenewalReq' } };

describe(`SCEP renewal [${backendName()}]`, () => {
  let server: TestServer;
  let staticChallenge: string;

  const counts = () => scepCounts(server.app.services.db);
  const deviceIdOf = (certificate: x509.X509Certificate) =>
    certificate
      .getExtension(x509.SubjectAlternativeNameExtension)!
      .names.items[0]!.value.replace('urn:latchkey:device:', '');

  async function enrolled(user = 'alice'): Promise<ScepDevice> {
    const device = await newDevice();
    const answer = await enroll(server, device, {
      challenge: staticChallenge,
      names: [{ type: 'email', value: `${user}@example.com` }],
    });
    expect(answer.certRep?.status).toBe('SUCCESS');
    return device;
  }

  async function refused(attempt: () => Promise<ScepAnswer>, failInfo: string, code: string): Promise<void> {
    const before = await counts();
    const answer = await attempt();
    expect({ status: answer.certRep?.status, failInfo: answer.certRep?.failInfo }).toEqual({
      status: 'FAILURE',
      failInfo,
    });
    expect(await counts()).toEqual(before);
    const [last] = await server.app.services.audit.search({ limit: 1 });
    expect(last).toMatchObject({ event: 'scep.renew', outcome: 'failure', reasons: [code] });
  }

  /** A certificate for `device` signed directly by `ca`, recorded in the database when `record`. */
  async function issueDirectly(
    device: ScepDevice,
    ca: IssuingCa & { intermediateId?: string },
    options: { lifetimeDays: number; record: boolean },
  ): Promise<void> {
    const now = new Date();
    const deviceId = randomUUID();
    const issued = await issueDeviceCertificate({
      ca,
      publicKey: device.selfSigned.publicKey,
      deviceId,
      now,
      lifetimeDays: options.lifetimeDays,
      crlUrl: `${server.issuer}/device/crl`,
    });
    device.certificate = issued.certificate;
    if (!options.record) return;
    const alice = (await server.app.services.users.findByUsername('alice'))!;
    const store = new DeviceTrustStore(server.app.services.db);
    await store.transaction(async (trx) => {
      await store.insertDevice(
        {
          id: deviceId,
          userId: alice.id,
          platform: 'ios',
          osVersion: null,
          hostname: null,
          managed: true,
          integrity: 'unknown',
          status: 'active',
          source: 'scep',
          enrolledAt: now.getTime(),
        },
        trx,
      );
      await store.insertCertificate(
        {
          serial: issued.serial,
          deviceId,
          userId: alice.id,
          issuerId: ca.intermediateId!,
          spkiSha256: issued.spkiSha256,
          certificatePem: issued.certificatePem,
          notBefore: issued.notBefore.getTime(),
          notAfter: issued.notAfter.getTime(),
          issuedAt: now.getTime(),
          renewedFrom: null,
        },
        trx,
      );
    });
  }

  const ourCa = () =>
    new ActiveCa(new DeviceTrustStore(server.app.services.db), server.app.services.box).issuing(new Date());

  beforeAll(async () => {
    // Renewals are due at once: the window is tested with default settings in protocol.test.ts.
    server = await startScepServer({ device_trust: { renewal_fraction: '1/100000' } });
    await server.addUser('alice');
    staticChallenge = await server.app.services.scep.rotateStaticChallenge('ios', { actor: 'test' });
  });
  afterAll(async () => server?.close());

  it('renews for a new key: the same device, the old certificate superseded, the answer encrypted to the old one', async () => {
    const device = await enrolled();
    const old = device.certificate!;
    const before = await counts();
    const next = await newRequesterKey();
    const answer = await enroll(server, device, { ...renewal, csrKeys: next.keys });
    expect(answer.certRep?.status).toBe('SUCCESS');
    const issued = answer.certRep!.certificates![0]!;
    expect(issued.publicKey.rawData).toEqual((await x509.PublicKey.create(next.keys.publicKey)).rawData);
    expect(deviceIdOf(issued)).toBe(deviceIdOf(old));
    expect(await counts()).toEqual({
      ...before,
      certificates: before.certificates + 1,
      revokedCertificates: before.revokedCertificates + 1,
      transactions: before.transactions + 1,
    });
    const history = await server.app.services.deviceTrust.listCertificates({ deviceId: deviceIdOf(old) });
    expect(history.map((c) => [c.serial, c.revocationReason, c.renewedFrom])).toEqual([
      [issued.serialNumber.toLowerCase(), null, old.serialNumber.toLowerCase()],
      [old.serialNumber.toLowerCase(), 'superseded', null],
    ]);
    const check = await server.app.services.deviceTrust.check(new Uint8Array(issued.rawData));
    expect(check).toMatchObject({ status: 'managed', device: { id: deviceIdOf(old), platform: 'ios' } });
    const [event] = await server.app.services.audit.search({ event: 'scep.renew', limit: 1 });
    expect(event).toMatchObject({
      outcome: 'success',
      deviceId: deviceIdOf(old),
      detail: { messageType: 'RenewalReq' },
    });

    // The superseded certificate cannot renew again.
    device.certificate = old;
    await refused(() => enroll(server, device, renewal), 'badRequest', 'ERR_CERT_REVOKED');
  });

  it('renews a PKCSReq signed with the current certificate the same way (how certmonger renews), same key', async () => {
    const device = await enrolled();
    const old = device.certificate!;
    const answer = await enroll(server, device);
    expect(answer.certRep?.status).toBe('SUCCESS');
    expect(deviceIdOf(answer.certRep!.certificates![0]!)).toBe(deviceIdOf(old));
  });

  it('refuses a certificate whose device was revoked (badRequest)', async () => {
    const device = await enrolled();
    await server.app.services.deviceTrust.revokeDevice(deviceIdOf(device.certificate!), { actor: 'test' });
    await refused(() => enroll(server, device, renewal), 'badRequest', 'ERR_DEVICE_REVOKED');
  });

  it('refuses a revoked certificate (badRequest)', async () => {
    const device = await enrolled();
    await server.app.services.deviceTrust.revokeCertificate(device.certificate!.serialNumber, {
      reason: 'keyCompromise',
      actor: 'test',
    });
    await refused(() => enroll(server, device, renewal), 'badRequest', 'ERR_CERT_REVOKED');
  });

  it('refuses every renewal while distribution is off (badRequest)', async () => {
    const device = await enrolled();
    await server.app.services.deviceTrust.setDistribution(false, { actor: 'test' });
    try {
      await refused(() => enroll(server, device, renewal), 'badRequest', 'ERR_DEVICE_DISTRIBUTION_OFF');
    } finally {
      await server.app.services.deviceTrust.setDistribution(true, { actor: 'test' });
    }
  });

  it('refuses the certificate of a disabled owner (badRequest)', async () => {
    await server.addUser('erin');
    const device = await enrolled('erin');
    const erin = (await server.app.services.users.findByUsername('erin'))!;
    await server.app.services.users.setDisabled(erin.id, true);
    await refused(() => enroll(server, device, renewal), 'badRequest', 'ERR_USER_DISABLED');
  });

  it('refuses an expired certificate (badCertId)', async () => {
    const device = await newDevice();
    await issueDirectly(device, await ourCa(), { lifetimeDays: 1 / 86400, record: true });
    // notBefore is set 5 minutes back; one second of lifetime is over after a second.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await refused(() => enroll(server, device, renewal), 'badCertId', 'ERR_CERT_EXPIRED');
  });

  it('refuses a certificate of our CA that is not on record (badCertId)', async () => {
    const device = await newDevice();
    await issueDirectly(device, await ourCa(), { lifetimeDays: 30, record: false });
    await refused(() => enroll(server, device, renewal), 'badCertId', 'ERR_CERT_UNKNOWN');
  });

  it('refuses a certificate of another CA, even one with the same names (badCertId)', async () => {
    const { root, intermediate } = await createDeviceCa({ now: new Date() });
    const foreign = { root: root.certificate, intermediate: intermediate.certificate, signer: intermediate.signer };
    const device = await newDevice();
    await issueDirectly(device, foreign, { lifetimeDays: 30, record: false });
    await refused(() => enroll(server, device, renewal), 'badCertId', 'ERR_CERT_UNTRUSTED_CHAIN');
  });

  it('refuses a RenewalReq signed with a self-signed certificate (badCertId)', async () => {
    const device = await newDevice();
    await refused(() => enroll(server, device, renewal), 'badCertId', 'ERR_CERT_UNTRUSTED_CHAIN');
  });
});
