// The device-trust service's decisions as pure functions: may a certificate renew, what a device check
// reports, and when the CRL is rebuilt. Facts in, answers out; `now` is explicit.
import { describe, expect, it } from '@jest/globals';
import {
  type CertificateStanding,
  crlIsStale,
  deviceCheckDecision,
  type DeviceStanding,
  integrityFromPosture,
  renewalRefusal,
  tokenRefusal,
} from '../../../src/trust/service/decisions.js';
import type { DeviceCertificateVerification } from '../../../src/trust/verify.js';

const DAY = 86_400_000;
const ISSUED = new Date('2030-01-01T00:00:00Z');
const verified = { deviceId: 'dev-1', spkiSha256: 'aa' };
const certificate: CertificateStanding = {
  deviceId: 'dev-1',
  spkiSha256: 'aa',
  revokedAt: null,
  revocationReason: null,
};
const device: DeviceStanding = { status: 'active', revokedReason: null, managed: true, integrity: 'unknown' };

const renewal = (overrides: Partial<Parameters<typeof renewalRefusal>[0]> = {}) =>
  renewalRefusal({
    verified,
    certificate,
    device,
    distributionOn: true,
    notBefore: ISSUED,
    notAfter: new Date(ISSUED.getTime() + 30 * DAY),
    now: new Date(ISSUED.getTime() + 21 * DAY),
    fraction: 2 / 3,
    ...overrides,
  });

describe('renewalRefusal', () => {
  it('lets a standing certificate renew once two thirds of its lifetime have passed', () => {
    expect(renewal()).toBeNull();
    expect(renewal({ now: new Date(ISSUED.getTime() + 20 * DAY) })).toBeNull();
  });

  it('refuses before the window with ERR_RENEWAL_NOT_DUE, naming when it opens', () => {
    expect(renewal({ now: new Date(ISSUED.getTime() + 19 * DAY) })).toEqual({
      code: 'ERR_RENEWAL_NOT_DUE',
      message: 'renewal is not due until 2030-01-21T00:00:00.000Z',
    });
  });

  it('expresses the JumpCloud habit of renewing after 14 of 30 days as a fraction', () => {
    const now = new Date(ISSUED.getTime() + 14 * DAY);
    expect(renewal({ now, fraction: 14 / 30 })).toBeNull();
    expect(renewal({ now, fraction: 2 / 3 })?.code).toBe('ERR_RENEWAL_NOT_DUE');
  });

  it('lets a certificate renew before its window once an admin made it renewable (renew-now), not before', () => {
    const now = new Date(ISSUED.getTime() + 2 * DAY);
    expect(renewal({ now, renewableFrom: new Date(ISSUED.getTime() + DAY) })).toBeNull();
    expect(renewal({ now, renewableFrom: new Date(ISSUED.getTime() + 3 * DAY) })?.code).toBe('ERR_RENEWAL_NOT_DUE');
    expect(renewal({ now, renewableFrom: null })?.code).toBe('ERR_RENEWAL_NOT_DUE');
  });

  it('keeps refusing a revoked device or distribution off even when an admin made it renewable', () => {
    const early = { now: new Date(ISSUED.getTime() + 2 * DAY), renewableFrom: ISSUED };
    expect(renewal({ ...early, device: { ...device, status: 'revoked' } })?.code).toBe('ERR_DEVICE_REVOKED');
    expect(renewal({ ...early, distributionOn: false })?.code).toBe('ERR_DEVICE_DISTRIBUTION_OFF');
  });

  it('refuses a certificate not on record, or on record for another device or key', () => {
    expect(renewal({ certificate: undefined })?.code).toBe('ERR_CERT_UNKNOWN');
    expect(renewal({ certificate: { ...certificate, deviceId: 'dev-2' } })?.code).toBe('ERR_CERT_UNKNOWN');
    expect(renewal({ certificate: { ...certificate, spkiSha256: 'bb' } })?.code).toBe('ERR_CERT_UNKNOWN');
  });

  it('refuses a revoked device before a revoked certificate, naming the cause', () => {
    const revokedCertificate = { ...certificate, revokedAt: 1, revocationReason: 'keyCompromise' };
    expect(renewal({ certificate: revokedCertificate })).toEqual({
      code: 'ERR_CERT_REVOKED',
      message: 'the device certificate was revoked (keyCompromise)',
    });
    expect(
      renewal({
        certificate: revokedCertificate,
        device: { ...device, status: 'revoked', revokedReason: 'affiliationChanged' },
      }),
    ).toEqual({ code: 'ERR_DEVICE_REVOKED', message: 'the device was revoked (affiliationChanged)' });
    expect(renewal({ device: undefined })?.code).toBe('ERR_DEVICE_REVOKED');
  });

  it('refuses while distribution is off, even when due, but a revoked certificate stays "revoked"', () => {
    expect(renewal({ distributionOn: false })?.code).toBe('ERR_DEVICE_DISTRIBUTION_OFF');
    expect(renewal({ distributionOn: false, certificate: { ...certificate, revokedAt: 1 } })?.code).toBe(
      'ERR_CERT_REVOKED',
    );
  });
});

describe('deviceCheckDecision', () => {
  const ok: DeviceCertificateVerification = {
    ok: true,
    deviceId: 'dev-1',
    serial: '01',
    spkiSha256: 'aa',
    notBefore: ISSUED,
    notAfter: ISSUED,
    certificate: undefined as never,
  };
  const check = (overrides: Partial<Parameters<typeof deviceCheckDecision>[0]> = {}) =>
    deviceCheckDecision({ distributionOn: true, verification: ok, certificate, device, ...overrides }).status;

  it('reports trusted only for a managed device whose integrity passed, else managed', () => {
    expect(check({ device: { ...device, integrity: 'passed' } })).toBe('trusted');
    expect(check({ device: { ...device, integrity: 'unknown' } })).toBe('managed');
    expect(check({ device: { ...device, integrity: 'passed', managed: false } })).toBe('managed');
  });

  it('reports unmanaged for everyone while distribution is off, and without a certificate', () => {
    expect(check({ distributionOn: false })).toBe('unmanaged');
    expect(check({ distributionOn: false, verification: { ok: false, code: 'ERR_CERT_EXPIRED', reason: 'x' } })).toBe(
      'unmanaged',
    );
    expect(check({ verification: null })).toBe('unmanaged');
  });

  it('reports invalid for a chain that does not verify or a certificate not on record, with the code', () => {
    expect(
      deviceCheckDecision({
        distributionOn: true,
        verification: { ok: false, code: 'ERR_CERT_UNTRUSTED_CHAIN', reason: 'not ours' },
        certificate: undefined,
        device: undefined,
      }),
    ).toEqual({ status: 'invalid', reason: 'not ours', code: 'ERR_CERT_UNTRUSTED_CHAIN' });
    expect(check({ certificate: undefined })).toBe('invalid');
  });

  it('reports revoked for a revoked certificate or device', () => {
    expect(check({ certificate: { ...certificate, revokedAt: 5 } })).toBe('revoked');
    expect(check({ device: { ...device, status: 'revoked' } })).toBe('revoked');
  });
});

describe('crlIsStale', () => {
  const cached = {
    fingerprint: 'ca:1:100',
    thisUpdate: ISSUED,
    nextUpdate: new Date(ISSUED.getTime() + DAY),
  };
  it('keeps a CRL until revocations change or half its validity has passed', () => {
    expect(crlIsStale(undefined, 'ca:0:0', ISSUED)).toBe(true);
    expect(crlIsStale(cached, 'ca:1:100', new Date(ISSUED.getTime() + DAY / 2 - 1))).toBe(false);
    expect(crlIsStale(cached, 'ca:1:100', new Date(ISSUED.getTime() + DAY / 2))).toBe(true);
    expect(crlIsStale(cached, 'ca:2:200', ISSUED)).toBe(true);
  });
});

describe('small decisions', () => {
  it('maps the reported Secure Boot state to the integrity on record', () => {
    expect(integrityFromPosture('secure-boot-on')).toBe('passed');
    expect(integrityFromPosture('secure-boot-off')).toBe('failed');
    expect(integrityFromPosture('unknown')).toBe('unknown');
    expect(integrityFromPosture(undefined)).toBe('unknown');
  });

  it('names each token problem with its own code', () => {
    expect(tokenRefusal('unknown').code).toBe('ERR_ENROLLMENT_TOKEN_UNKNOWN');
    expect(tokenRefusal('used').code).toBe('ERR_ENROLLMENT_TOKEN_USED');
    expect(tokenRefusal('expired').code).toBe('ERR_ENROLLMENT_TOKEN_EXPIRED');
  });
});
