// A client certificate presented on the device-check listener: verified against the CA in use, then
// looked up in the database. Shared by renewal (which refuses) and the device check (which reports).
import type { DeviceCertificateRecord, DeviceRecord } from '../../store/device-trust.js';
import { normalizeSerial } from '../serial.js';
import {
  type DeviceCertificateVerification,
  verifyDeviceCertificateChain,
  type VerifiedDeviceCertificate,
} from '../verify.js';
import type { TrustContext } from './context.js';

/** Verifies the presented leaf (DER) up to our root at `now`; the chain a client sends is never trusted. */
export async function verifyPresented(
  ctx: TrustContext,
  leafDer: Uint8Array,
  now: Date,
): Promise<DeviceCertificateVerification> {
  const anchors = await ctx.ca.anchors();
  return verifyDeviceCertificateChain({
    leaf: leafDer,
    trustAnchors: { root: anchors.root, intermediate: anchors.verifying },
    now,
  });
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
