// The device certificate: proves the browser is on a device enrolled with Latchkey, and identifies its
// owner. The main listener never asks for client certificates (no prompts on ordinary pages), so the
// method hands the browser to the device-check listener and back:
//   1. start(): a single-use reference bound to this interaction, and a redirect to
//      <device_check.public_url>/device/sign-in?ref=R1;
//   2. the device-check listener redeems R1, verifies the presented certificate (TLS session resumption is
//      off there; behind a proxy, a trusted header), records the result under a second single-use
//      reference R2 bound to the same interaction, and redirects to /interaction/<uid>/device_certificate/return?ref=R2;
//   3. verify(): redeems R2 (only this interaction can), and turns the result into a proof, or settles:
//      no certificate, an invalid or revoked one is "no trusted device" with a reason, not an error.
// References live in the shared store (every node sees them) and never in cookies: the listener has its
// own host name in production and shares none.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { PresentedCertificate } from '../../http/client-certificate.js';
import type { Logger } from '../../log.js';
import { PLATFORMS, type Platform } from '../../policies/index.js';
import type { AuditLog } from '../../store/audit.js';
import type { TicketStore } from '../../store/tickets.js';
import type { CheckedDevice, DeviceCheckResult } from '../../trust/service/index.js';
import { errorPage } from '../../views/pages.js';
import type { Proof } from '../proofs.js';
import { auditBase, nowSeconds, retry } from './shared.js';
import type { SettledFailure, SignInMethod } from './types.js';

/** The ports the method needs. */
export interface DeviceCertificateDeps {
  tickets: TicketStore;
  /** What a presented certificate (DER, or null) is worth right now. */
  check(certificateDer: Uint8Array | null): Promise<DeviceCheckResult>;
  hasDevices(userId: string): Promise<boolean>;
  /** Reads the presented certificate of a request on the device-check listener. */
  presented(ctx: Context): PresentedCertificate;
  audit: Pick<AuditLog, 'record'>;
  /** Origin of the device-check listener, and of the main listener (the issuer). */
  deviceCheckUrl: string;
  issuer: string;
  handoffTtlSeconds: number;
  log: Logger;
}

export interface DeviceCertificateMethod extends SignInMethod {
  /** GET /device/sign-in on the device-check listener. */
  deviceCheckRouter(): Router;
}

const TO_LISTENER = 'device-check';
const FROM_LISTENER = 'device-result';

/** The hand-off from the device-check listener back to the interaction. */
interface DeviceResult {
  uid: string;
  status: DeviceCheckResult['status'];
  code?: string;
  reason: string;
  device?: CheckedDevice;
  certificate?: { serial: string; notAfter: number };
}

export function deviceCertificateMethod(deps: DeviceCertificateDeps): DeviceCertificateMethod {
  return {
    name: 'device_certificate',
    identifies: true,
    text: {
      requirement: 'a trusted device (its Latchkey device certificate)',
      hint: 'Sign in from a device enrolled with Latchkey (latchkey-agent enroll), then try again.',
    },
    enrolled: (user) => deps.hasDevices(user.id),

    async start(ctx) {
      const reference = await deps.tickets.issue(TO_LISTENER, { uid: ctx.uid }, deps.handoffTtlSeconds);
      return { kind: 'redirect', location: `${deps.deviceCheckUrl}/device/sign-in?ref=${reference}` };
    },

    async verify(ctx, input) {
      const reference = input.kind === 'return' ? input.query.ref : undefined;
      const payload = (await deps.tickets.redeem(FROM_LISTENER, reference)) as DeviceResult | undefined;
      const base = { ...auditBase('login.device_certificate', ctx.request), userId: ctx.user?.id };
      if (!payload || payload.uid !== ctx.uid) {
        // Replayed, expired, or another interaction's: nothing is proven; the check may run again.
        await deps.audit.record({ ...base, outcome: 'failure', reasons: ['ERR_DEVICE_CHECK_REFERENCE'] });
        return retry(400, 'ERR_DEVICE_CHECK_REFERENCE', 'The device check expired or was already used.');
      }
      const { device, certificate } = payload;
      if ((payload.status !== 'trusted' && payload.status !== 'managed') || !device || !certificate) {
        await deps.audit.record({
          ...base,
          outcome: 'failure',
          reasons: [payload.code ?? payload.status, payload.reason],
        });
        return settled(payload.code ?? 'ERR_DEVICE_UNMANAGED', explain(payload));
      }
      if (ctx.user && device.userId !== ctx.user.id) {
        await deps.audit.record({
          ...base,
          deviceId: device.id,
          outcome: 'failure',
          reasons: ['ERR_DEVICE_OTHER_USER'],
        });
        return settled('ERR_DEVICE_OTHER_USER', 'This device is enrolled to another person’s account.');
      }
      await deps.audit.record({
        ...base,
        userId: device.userId,
        deviceId: device.id,
        outcome: 'success',
        reasons: [payload.status],
        detail: { serial: certificate.serial },
      });
      return { ok: true, proof: proofOf(payload.status, device, certificate) };
    },

    deviceCheckRouter() {
      const router = new Router();
      router.get('/device/sign-in', async (ctx) => {
        ctx.set('Cache-Control', 'no-store');
        const handed = (await deps.tickets.redeem(TO_LISTENER, ctx.query.ref)) as { uid?: unknown } | undefined;
        if (typeof handed?.uid !== 'string') {
          ctx.status = 400;
          ctx.type = 'html';
          ctx.body = errorPage(
            'Device check expired',
            'This device check has expired or was already used. Return to the application and sign in again.',
          );
          return;
        }
        const result = await checkPresented(deps, ctx);
        const reference = await deps.tickets.issue(
          FROM_LISTENER,
          { ...result, uid: handed.uid },
          deps.handoffTtlSeconds,
        );
        ctx.status = 303;
        ctx.redirect(
          `${deps.issuer}/interaction/${encodeURIComponent(handed.uid)}/device_certificate/return?ref=${reference}`,
        );
      });
      return router;
    },
  };
}

/** The device check of the certificate this request presented, as the hand-off carries it. */
async function checkPresented(deps: DeviceCertificateDeps, ctx: Context): Promise<Omit<DeviceResult, 'uid'>> {
  const presented = deps.presented(ctx);
  if (presented.kind === 'malformed') {
    deps.log.warn({ reason: presented.reason }, 'refused a malformed client-certificate header');
    return {
      status: 'invalid',
      code: 'ERR_CERT_HEADER_MALFORMED',
      reason: `the client-certificate header is malformed: ${presented.reason}`,
    };
  }
  const result = await deps.check(presented.kind === 'certificate' ? presented.der : null);
  return {
    status: result.status,
    code: result.code,
    reason: result.reason,
    device: result.device,
    certificate: result.certificate
      ? {
          serial: result.certificate.serial.toLowerCase(),
          notAfter: Math.floor(result.certificate.notAfter.getTime() / 1000),
        }
      : undefined,
  };
}

function proofOf(
  status: 'trusted' | 'managed',
  device: CheckedDevice,
  certificate: { serial: string; notAfter: number },
): Proof {
  return {
    method: 'device_certificate',
    at: nowSeconds(),
    // RFC 8176: proof of possession of a key held in software (no hardware attestation of device keys yet).
    amr: ['pop', 'swk'],
    userId: device.userId,
    expiresAt: certificate.notAfter,
    detail: { serial: certificate.serial },
    device: {
      id: device.id,
      userId: device.userId,
      trust: status,
      platform: (PLATFORMS as readonly string[]).includes(device.platform) ? (device.platform as Platform) : undefined,
      osVersion: device.osVersion ?? undefined,
      managed: device.managed,
      compliant: device.compliant,
      integrity: device.integrity,
      certificateSerial: certificate.serial,
    },
  };
}

function settled(code: string, message: string): SettledFailure {
  return { ok: false, settled: true, code, message };
}

/** What a person is told when their device proved nothing, by the check's code (what-if says it too). */
export function explain(result: Pick<DeviceResult, 'status' | 'code' | 'reason'>): string {
  switch (result.code) {
    case 'ERR_DEVICE_DISTRIBUTION_OFF':
      return 'Device certificates are switched off by your administrator.';
    case 'ERR_CERT_REVOKED':
    case 'ERR_DEVICE_REVOKED':
      return 'This device’s certificate was revoked: ask your administrator for a new enrollment token.';
    case 'ERR_CERT_EXPIRED':
      return 'This device’s certificate has expired: run "latchkey-agent renew", or ask your administrator for a new enrollment token.';
    case 'ERR_CERT_NOT_YET_VALID':
      return 'This device’s certificate is not valid yet: check the device’s clock.';
    case 'ERR_USER_DISABLED':
      return 'The account this device is enrolled to is disabled.';
    case undefined:
      return result.status === 'unmanaged'
        ? 'No device certificate was presented: this browser is not on a device enrolled with Latchkey.'
        : result.reason;
    default:
      return 'The certificate this browser presented is not a valid Latchkey device certificate.';
  }
}
