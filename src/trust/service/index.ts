// DeviceTrustService: the device PKI with storage around it, as the HTTP handlers and the admin CLI use
// it. Each operation lives in its own module (enrollment, renewal, check, revocation, CRL, CA admin) over
// one TrustContext; pure decisions are in decisions.ts. Built once in services.ts from the ports it needs.
import type { DeviceCertificateRecord, InventoryTrustLevel } from '../../store/device-trust.js';
import type { Page, PageRequest } from '../../store/pages.js';
import type { BuiltCrl } from '../ca/crl.js';
import { type CaSummary, type ImportCaInput, importCa, initCa, rotateIntermediate, showCa } from './ca-admin.js';
import { checkDevice, type DeviceCheckResult } from './check.js';
import { createTrustContext, type DeviceTrustDeps, distributionOn, type Origin, type TrustContext } from './context.js';
import { CrlPublisher } from './crl.js';
import { type CreatedEnrollmentToken, createEnrollmentToken, enroll } from './enrollment.js';
import {
  certificatesPage,
  countByTrustLevel,
  type DeviceDetails,
  deviceDetails,
  type DeviceListing,
  devicesPage,
  expiringCertificates,
  listCertificates,
  listDevices,
} from './inventory.js';
import type { IssuedDevice } from './issuing.js';
import { renew, type RenewalInput } from './renewal.js';
import { renewNow } from './renew-now.js';
import type { EnrollmentRequest } from './requests.js';
import { revokeCertificate, revokeDevice, setDistribution } from './revocation.js';
import { deviceRecordStanding, deviceStanding, type DeviceRecordStanding, type DeviceStanding } from './standing.js';

export type { CaSummary, ImportCaInput } from './ca-admin.js';
export type { CheckedDevice, DeviceCheckResult } from './check.js';
export type { DeviceRecordStanding, DeviceStanding } from './standing.js';
export type { DeviceTrustConfig, DeviceTrustDeps, Origin } from './context.js';
export { DISTRIBUTION_SETTING } from './context.js';
export type { DeviceCheckStatus } from './decisions.js';
export type { CreatedEnrollmentToken } from './enrollment.js';
export { DeviceTrustError, type DeviceTrustErrorCode } from './errors.js';
export type { DeviceDetails, DeviceListing } from './inventory.js';
export type { IssuedDevice } from './issuing.js';
export type { RenewalInput } from './renewal.js';
export { enrollmentRequestSchema, renewalRequestSchema } from './requests.js';
export type { EnrollmentRequest, RenewalRequest } from './requests.js';

export class DeviceTrustService {
  readonly #ctx: TrustContext;
  readonly #crl: CrlPublisher;

  constructor(deps: DeviceTrustDeps) {
    this.#ctx = createTrustContext(deps);
    this.#crl = new CrlPublisher(this.#ctx);
  }

  /** Origin of the device-check (mTLS) listener, as agents and browsers reach it. */
  get deviceCheckUrl(): string {
    return this.#ctx.deviceCheckUrl;
  }

  // ---- CA ----------------------------------------------------------------------------------------

  /** Creates root and intermediate; ERR_CA_EXISTS if a CA exists and `force` is not set. */
  initCa(options: { force?: boolean } & Origin): Promise<CaSummary> {
    return initCa(this.#ctx, options);
  }

  /** Imports an organisation's root, intermediate and intermediate key (ERR_CA_* when unusable). */
  importCa(input: ImportCaInput): Promise<CaSummary> {
    return importCa(this.#ctx, input);
  }

  /** The CA in use, or null. */
  showCa(): Promise<CaSummary | null> {
    return showCa(this.#ctx);
  }

  /** A new intermediate from the held root issues from now on; the previous one stays trusted for its leaves. */
  rotateIntermediate(origin: Origin): Promise<CaSummary> {
    return rotateIntermediate(this.#ctx, origin);
  }

  // ---- devices -----------------------------------------------------------------------------------

  /** A single-use token for `username`, shown once. */
  createEnrollmentToken(username: string, options: { ttlSeconds?: number } & Origin): Promise<CreatedEnrollmentToken> {
    return createEnrollmentToken(this.#ctx, username, options);
  }

  /** Enrolls a device: verified CSR + usable token → device record and first certificate, atomically. */
  enroll(request: EnrollmentRequest, origin: Origin = {}): Promise<IssuedDevice> {
    return enroll(this.#ctx, request, origin);
  }

  /** Renews the presented certificate (same key unless a CSR is given); the old one is superseded. */
  renew(input: RenewalInput, origin: Origin = {}): Promise<IssuedDevice> {
    return renew(this.#ctx, input, origin);
  }

  /** Lets the device renew its current certificate now, before its renewal window (audited). */
  renewNow(deviceId: string, origin: Origin): Promise<Date> {
    return renewNow(this.#ctx, deviceId, origin);
  }

  /** What the presented certificate (DER, or null) is worth now. */
  check(certificateDer: Uint8Array | null): Promise<DeviceCheckResult> {
    return checkDevice(this.#ctx, certificateDer);
  }

  listDevices(filter: { username?: string } = {}): Promise<DeviceListing[]> {
    return listDevices(this.#ctx, filter);
  }

  devicesPage(
    filter: { username?: string; trust?: InventoryTrustLevel },
    page: PageRequest,
  ): Promise<Page<DeviceListing>> {
    return devicesPage(this.#ctx, filter, page);
  }

  countByTrustLevel(): Promise<Record<InventoryTrustLevel, number>> {
    return countByTrustLevel(this.#ctx);
  }

  expiringCertificates(
    before: Date,
    limit: number,
  ): Promise<Array<DeviceCertificateRecord & { username: string | null }>> {
    return expiringCertificates(this.#ctx, before, limit);
  }

  device(deviceId: string): Promise<DeviceDetails> {
    return deviceDetails(this.#ctx, deviceId);
  }

  listCertificates(filter: { deviceId?: string; username?: string } = {}): Promise<DeviceCertificateRecord[]> {
    return listCertificates(this.#ctx, filter);
  }

  certificatesPage(
    filter: { deviceId?: string; username?: string },
    page: PageRequest,
  ): Promise<Page<DeviceCertificateRecord>> {
    return certificatesPage(this.#ctx, filter, page);
  }

  // ---- revocation --------------------------------------------------------------------------------

  /** Revokes a device and its certificates (reason default cessationOfOperation); returns the count. */
  revokeDevice(deviceId: string, options: { reason?: string } & Origin): Promise<number> {
    return revokeDevice(this.#ctx, deviceId, options);
  }

  /** Revokes one certificate with an RFC 5280 reason. */
  revokeCertificate(serial: string, options: { reason: string } & Origin): Promise<void> {
    return revokeCertificate(this.#ctx, serial, options);
  }

  /**
   * The CRL (DER in `der`) of intermediate `id` (default: the one that issues), rebuilt only when
   * revocations changed or it is half-way to nextUpdate; undefined for an intermediate no longer trusted.
   */
  async crl(id?: string): Promise<BuiltCrl | undefined> {
    await this.#ctx.store.retireSpentIntermediates(this.#ctx.now().getTime());
    return this.#crl.current(id);
  }

  /** True when `userId` has ever enrolled a device. */
  userHasDevice(userId: string): Promise<boolean> {
    return this.#ctx.store.hasDevices(userId);
  }

  /** Whether device `deviceId`, proven with certificate `serial`, still stands now (see standing.ts). */
  standing(deviceId: string, serial: string): Promise<DeviceStanding> {
    return deviceStanding(this.#ctx, deviceId, serial);
  }

  /** Whether device `deviceId` stands without a certificate (proven by a device-bound passkey; see standing.ts). */
  recordStanding(deviceId: string): Promise<DeviceRecordStanding> {
    return deviceRecordStanding(this.#ctx, deviceId);
  }

  distributionEnabled(): Promise<boolean> {
    return distributionOn(this.#ctx);
  }

  /** The global switch: off makes every device unmanaged and refuses enrollment and renewal. */
  setDistribution(on: boolean, origin: Origin): Promise<void> {
    return setDistribution(this.#ctx, on, origin);
  }
}
