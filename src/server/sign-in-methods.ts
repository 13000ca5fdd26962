// The sign-in methods and their ports, built once per process: the server's interactions and
// `latchkey policy what-if` use the same registry (and so the same idea of what a user has enrolled).
import { clientCertificateReader, type PresentedCertificate } from '../http/client-certificate.js';
import { deviceCertificateMethod, type DeviceCertificateMethod } from '../interactions/methods/device-certificate.js';
import { passwordMethod } from '../interactions/methods/password.js';
import { totpMethod } from '../interactions/methods/totp.js';
import type { SignInMethod } from '../interactions/methods/types.js';
import { SignInThrottle } from '../interactions/throttle.js';
import { TicketStore } from '../store/tickets.js';
import type { Context } from 'koa';
import type { Services } from './services.js';
import { announce, deviceChecked, type DeviceChecked } from '../signals.js';

export interface SignInMethods {
  methods: SignInMethod[];
  deviceCertificate: DeviceCertificateMethod;
}

/**
 * The sign-in methods, in the order they are offered when several could meet a requirement, each given the
 * ports it needs. `presented` reads a device-check request's client certificate (default: as configured);
 * `passkeys` are the passkey methods (server/passkeys.ts builds them).
 */
export function signInMethods(
  services: Services,
  presented: (ctx: Context) => PresentedCertificate = clientCertificateReader(
    services.config.device_check.client_certificate_header,
    services.log,
  ),
  passkeys: readonly SignInMethod[] = [],
): SignInMethods {
  const { config, log } = services;
  const throttle = new SignInThrottle(services.rateLimits, config.security.rate_limits);
  const deviceCertificate = deviceCertificateMethod({
    tickets: new TicketStore(services.oidcStore.adapterFor('LatchkeyTicket')),
    check: async (der) => {
      const result = await services.deviceTrust.check(der);
      const source = services.deviceTrust;
      announce<DeviceChecked>(deviceChecked, { source, via: 'sign_in', status: result.status });
      return result;
    },
    hasDevices: (userId) => services.deviceTrust.userHasDevice(userId),
    presented,
    audit: services.audit,
    deviceCheckUrl: services.deviceTrust.deviceCheckUrl,
    issuer: config.issuer,
    handoffTtlSeconds: config.device_check.handoff_ttl_seconds,
    log,
  });
  const methods = [
    passwordMethod({ users: services.users, throttle, audit: services.audit }),
    totpMethod({ users: services.users, box: services.box, throttle, audit: services.audit }),
    deviceCertificate,
    ...passkeys,
  ];
  return { methods, deviceCertificate };
}
