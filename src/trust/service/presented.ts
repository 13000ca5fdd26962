// A client certificate presented on the device-check listener: verified against the CA in use, then
// looked up in the database. Shared by renewal (which refuses) and the device check (which reports).
import type { DeviceCertificateRecord, DeviceRecord } from '../../store/device-trust.js';
import { normalizeSerial } from '../serial.js';
import {
  type DeviceCertificateVerification,
  verifyDeviceCertificateChain,
  type VerifiedDeviceCertificate,
} from '../verify.js';
import { VerifiedChains } from '../verified-chains.js';
import type { TrustContext } from './context.js';

/** Chains this process verified before, per set of anchors (src/trust/verified-chains.ts). */
const verifiedChains = new VerifiedChains((leaf, anchors, now) =>
  verifyDeviceCertificateChain({ leaf, trustAnchors: { root: anchors.root, intermediate: anchors.verifying }, now }),
);

/** Verifies the presented leaf (DER) up to our root at `now`; the chain a client sends is never trusted. */
export async function verifyPresented(
  ctx: TrustContext,
  leafDer: Uint8Array,
  now: Date,
): Promise<DeviceCertificateVerification> {
  return verifiedChains.verify(leafDer, await ctx.ca.anchors(), now);
}

/** The database records for a verified certificate: its row by serial and the device it names. */
export async function recordsOf(
  ctx: TrustContext,
  verified: VerifiedDeviceCertificate,
): Promise<{ certificate: DeviceCertificateRecord | undefined; device: DeviceRecord | undefined }> {
  const [certificate, device] = await Promise.all([
    ctx.store.certificate(normalizeSerial(verified.serial)),
    ctx.store.device(verified.deviceId),
  ]);
  return { certificate, device };
}
