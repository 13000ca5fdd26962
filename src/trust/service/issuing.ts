// The steps enrollment and renewal share (by the agent and over SCEP): sign a leaf for a device (no
// storage yet), describe it as a device_certificates row, record a new device with it, and answer with it.
import type { Knex } from 'knex';
import type { DeviceCertificateRecord, DeviceRecord } from '../../store/device-trust.js';
import { issueDeviceCertificate, type IssuedDeviceCertificate } from '../ca/issue.js';
import type { x509 } from '../x509.js';
import { audited, auditOrigin, type Origin, type TrustContext } from './context.js';

/** What /device/enroll and /device/renew answer (the agent's CertificateResponse) plus the serial. */
export interface IssuedDevice {
  deviceId: string;
  userId: string;
  serial: string;
  certificatePem: string;
  chainPem: string[];
  notAfter: Date;
  deviceCheckUrl: string;
}

/** A signed leaf and the stored id of the intermediate that signed it. */
export interface SignedLeaf {
  issued: IssuedDeviceCertificate;
  issuerId: string;
}

/**
 * Signs a device certificate for `publicKey` naming `deviceId`, with the configured lifetime. Done before
 * the database transaction that records it, so the transaction stays short; a leaf whose transaction
 * fails is never handed out.
 */
export async function signLeaf(
  ctx: TrustContext,
  publicKey: x509.PublicKey,
  deviceId: string,
  now: Date,
): Promise<SignedLeaf> {
  const ca = await ctx.ca.issuing(now);
  const issued = await issueDeviceCertificate({
    ca,
    publicKey,
    deviceId,
    now,
    lifetimeDays: ctx.config.device_trust.certificate_lifetime_days,
    crlUrl: ctx.crlUrlFor(ca.intermediateId),
  });
  return { issued, issuerId: ca.intermediateId };
}

/** The device_certificates row for a signed leaf. */
export function certificateRow(
  leaf: SignedLeaf,
  owner: { deviceId: string; userId: string; renewedFrom: string | null; now: Date },
): Omit<DeviceCertificateRecord, 'revokedAt' | 'revocationReason'> {
  return {
    serial: leaf.issued.serial,
    deviceId: owner.deviceId,
    userId: owner.userId,
    issuerId: leaf.issuerId,
    spkiSha256: leaf.issued.spkiSha256,
    certificatePem: leaf.issued.certificatePem,
    notBefore: leaf.issued.notBefore.getTime(),
    notAfter: leaf.issued.notAfter.getTime(),
    issuedAt: owner.now.getTime(),
    renewedFrom: owner.renewedFrom,
  };
}

/** What a new device's record says besides its id, owner and enrollment time. */
export type NewDevice = Pick<DeviceRecord, 'platform' | 'osVersion' | 'hostname' | 'integrity' | 'source'>;

/** Inside `trx`: inserts a new active, managed device and its first certificate. */
export async function recordNewDevice(
  ctx: TrustContext,
  trx: Knex.Transaction,
  device: NewDevice,
  leaf: SignedLeaf,
  owner: { deviceId: string; userId: string },
  now: Date,
): Promise<void> {
  await ctx.store.insertDevice(
    { ...device, id: owner.deviceId, userId: owner.userId, managed: true, status: 'active', enrolledAt: now.getTime() },
    trx,
  );
  await ctx.store.insertCertificate(certificateRow(leaf, { ...owner, renewedFrom: null, now }), trx);
}

/** The answer for the agent. */
export function issuedDevice(
  ctx: TrustContext,
  leaf: SignedLeaf,
  owner: { deviceId: string; userId: string },
): IssuedDevice {
  return {
    deviceId: owner.deviceId,
    userId: owner.userId,
    serial: leaf.issued.serial,
    certificatePem: leaf.issued.certificatePem,
    chainPem: leaf.issued.chainPem,
    notAfter: leaf.issued.notAfter,
    deviceCheckUrl: ctx.deviceCheckUrl,
  };
}

/** Runs enrollment or renewal under one audit event: device, user and serial, or the refusal's code. */
export function auditedIssuance(
  ctx: TrustContext,
  event: 'device.enroll' | 'device.renew',
  origin: Origin,
  work: () => Promise<IssuedDevice>,
): Promise<IssuedDevice> {
  return audited(ctx, { event, outcome: 'success', ...auditOrigin(origin) }, work, (issued) => ({
    userId: issued.userId,
    deviceId: issued.deviceId,
    detail: { serial: issued.serial },
  }));
}
