// POST /device/passkey-link on the device-check listener: `latchkey-agent passkey-link` asks here over
// mutual TLS; a device certificate that checks out (the same verification as a device-check sign-in)
// gets a one-time, short-lived link (a ticket, stored hashed) naming its device and owner. The link proves
// the device only: /account/passkeys/link still needs the owner signed in with password and second factor
// within the registration window, and refuses anyone else (see passkeys.ts).
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { ForbiddenError, InvalidInputError } from '../errors.js';
import type { PresentedCertificate } from '../http/client-certificate.js';
import type { AuditLog } from '../store/audit.js';
import type { TicketStore } from '../store/tickets.js';
import type { DeviceCheckResult } from '../trust/service/index.js';
import { PASSKEY_LINK } from './passkeys.js';

export interface PasskeyLinkDeps {
  tickets: Pick<TicketStore, 'issue'>;
  check(certificateDer: Uint8Array | null): Promise<DeviceCheckResult>;
  presented(ctx: Context): PresentedCertificate;
  audit: Pick<AuditLog, 'record'>;
  issuer: string;
  ttlSeconds: number;
  /** Per-IP limit on asking (the device-check listener's renewal budget). */
  limit: Middleware;
}

export function passkeyLinkRouter(deps: PasskeyLinkDeps): Router {
  const router = new Router();
  router.post('/device/passkey-link', deps.limit, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const presented = deps.presented(ctx);
    if (presented.kind === 'malformed') {
      throw new InvalidInputError(
        'ERR_CERT_HEADER_MALFORMED',
        `the client-certificate header is malformed: ${presented.reason}`,
      );
    }
    const result = await deps.check(presented.kind === 'certificate' ? presented.der : null);
    const base = { event: 'passkey.link', ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, actor: 'device' };
    if ((result.status !== 'trusted' && result.status !== 'managed') || !result.device) {
      await deps.audit.record({
        ...base,
        outcome: 'failure',
        reasons: [result.code ?? 'ERR_DEVICE_UNMANAGED', result.reason],
      });
      throw new ForbiddenError(result.code ?? 'ERR_DEVICE_UNMANAGED', `no passkey link: ${result.reason}`);
    }
    const { device } = result;
    const token = await deps.tickets.issue(
      PASSKEY_LINK,
      { userId: device.userId, deviceId: device.id },
      deps.ttlSeconds,
    );
    await deps.audit.record({
      ...base,
      userId: device.userId,
      deviceId: device.id,
      outcome: 'success',
      reasons: ['link issued'],
    });
    ctx.body = {
      url: `${deps.issuer}/account/passkeys/link?token=${token}`,
      expiresAt: new Date(Date.now() + deps.ttlSeconds * 1000).toISOString(),
    };
  });
  return router;
}
