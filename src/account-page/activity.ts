// Recent activity as a person reads it: "Signed in to Sample app from 10.0.0.1, Firefox on Linux", not
// "login.complete success". Pure: the audit events and the names of clients in, sentences out.
import UAParser from 'ua-parser-js';
import type { StoredAuditEvent } from '../store/audit.js';
import type { ActivityLine } from '../views/account.js';

/** What a browser is, in a few words: "Firefox on Linux". */
export function describeBrowser(userAgent: string | null): string | undefined {
  if (!userAgent) return undefined;
  const parsed = new UAParser(userAgent).getResult();
  const browser = parsed.browser.name;
  const os = parsed.os.name;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? undefined;
}

/** The activity lines for `events` (newest first); events a person need not see are left out. */
export function describeActivity(
  events: readonly StoredAuditEvent[],
  clientName: (clientId: string) => string,
): ActivityLine[] {
  return events.flatMap((event) => {
    const line = describe(event, clientName);
    return line ? [{ at: event.at, ...line }] : [];
  });
}

function describe(
  event: StoredAuditEvent,
  clientName: (clientId: string) => string,
): Omit<ActivityLine, 'at'> | undefined {
  const app = event.clientId ? clientName(event.clientId) : 'an application';
  const where = [event.ip ? `from ${event.ip}` : undefined, describeBrowser(event.userAgent)]
    .filter(Boolean)
    .join(', ');
  const suffix = where ? ` ${where}` : '';
  switch (`${event.event}:${event.outcome}`) {
    case 'login.complete:success':
      return { text: `Signed in to ${app}${suffix}`, warning: false };
    case 'login.complete:failure':
      return { text: `A sign-in to ${app} was refused${suffix}: ${event.reasons[0] ?? ''}`.trim(), warning: true };
    case 'login.password:failure':
      return {
        text: `A wrong password was entered for your account${suffix}`,
        warning: true,
      };
    case 'login.totp:failure':
      return { text: `A wrong verification code was entered${suffix}`, warning: true };
    case 'login.device_certificate:success':
      return { text: `A device enrolled to you was verified${suffix}`, warning: false };
    case 'account.device.remove:success':
      return { text: `You removed a device${suffix}`, warning: false };
    case 'account.totp.enroll:success':
      return { text: `You set up an authenticator app${suffix}`, warning: false };
    case 'admin.device.revoke:success':
      return { text: 'Your administrator revoked one of your devices', warning: true };
    case 'device.enroll:success':
      return { text: `A device was enrolled to you${suffix}`, warning: false };
    default:
      return undefined;
  }
}
