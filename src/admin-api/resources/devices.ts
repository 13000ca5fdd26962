// /devices, /certificates, /enrollment-tokens, /distribution: the device-trust service's administration
// (it audits every change with the caller as actor), and /passkeys (admin/passkeys.ts).
import { z } from 'zod';
import { INVENTORY_TRUST_LEVELS } from '../../store/device-trust.js';
import { REVOCATION_REASONS, type RevocationReason } from '../../trust/ca/crl.js';
import { pageBody, pageQuery, route, text } from '../route.js';
import type { ResourceDeps } from './deps.js';

const reason = z.enum(REVOCATION_REASONS as [RevocationReason, ...RevocationReason[]]);

export function deviceRoutes({ admin, devices }: ResourceDeps) {
  return [
    route({
      method: 'get',
      path: '/devices',
      scope: 'latchkey.devices.read',
      tag: 'devices',
      summary: "List devices, newest first, a page at a time (one user's with ?username=, by ?trust=)",
      query: z.strictObject({
        username: text(255).optional(),
        trust: z.enum(INVENTORY_TRUST_LEVELS).optional(),
        ...pageQuery,
      }),
      handle: async ({ query }) => {
        const { username, trust, ...page } = query;
        return pageBody('devices', await devices.devicesPage({ username, trust }, page));
      },
    }),
    route({
      method: 'get',
      path: '/devices/:deviceId',
      scope: 'latchkey.devices.read',
      tag: 'devices',
      summary: 'Show a device with every certificate it was issued',
      handle: ({ params }) => devices.device(params.deviceId!),
    }),
    route({
      method: 'post',
      path: '/devices/:deviceId/revoke',
      scope: 'latchkey.devices.manage',
      tag: 'devices',
      summary: 'Revoke a device and its certificates at once (its sessions end)',
      body: z.strictObject({ reason: reason.default('cessationOfOperation') }),
      handle: async ({ params, body, origin }) => ({
        revokedCertificates: await devices.revokeDevice(params.deviceId!, { reason: body.reason, ...origin }),
      }),
    }),
    route({
      method: 'post',
      path: '/devices/:deviceId/renew-now',
      scope: 'latchkey.devices.manage',
      tag: 'devices',
      summary: 'Let the device renew its certificate now, before its renewal window',
      handle: async ({ params, origin }) => ({ renewableFrom: await devices.renewNow(params.deviceId!, origin) }),
    }),
    route({
      method: 'get',
      path: '/certificates',
      scope: 'latchkey.devices.read',
      tag: 'devices',
      summary: 'List device certificates, newest first, a page at a time (filter by deviceId or username)',
      query: z.strictObject({ deviceId: text(64).optional(), username: text(255).optional(), ...pageQuery }),
      handle: async ({ query }) => {
        const { deviceId, username, ...page } = query;
        return pageBody('certificates', await devices.certificatesPage({ deviceId, username }, page));
      },
    }),
    route({
      method: 'post',
      path: '/certificates/:serial/revoke',
      scope: 'latchkey.devices.manage',
      tag: 'devices',
      summary: 'Revoke one certificate with an RFC 5280 reason',
      status: 204,
      body: z.strictObject({ reason }),
      handle: ({ params, body, origin }) =>
        devices.revokeCertificate(params.serial!, { reason: body.reason, ...origin }),
    }),
    route({
      method: 'post',
      path: '/enrollment-tokens',
      scope: 'latchkey.devices.manage',
      tag: 'devices',
      summary: 'A single-use enrollment token for a user (in this answer only)',
      status: 201,
      body: z.strictObject({ username: text(255), ttlSeconds: z.number().int().positive().optional() }),
      handle: async ({ body, origin }) => {
        // A device enrolled for an administrator opens the console: that needs latchkey.admins.manage.
        await admin.users.changeable(body.username, origin);
        return devices.createEnrollmentToken(body.username, { ttlSeconds: body.ttlSeconds, ...origin });
      },
    }),
    route({
      method: 'get',
      path: '/distribution',
      scope: 'latchkey.devices.read',
      tag: 'devices',
      summary: 'Whether device certificates are distributed (the global switch)',
      handle: async () => ({ enabled: await devices.distributionEnabled() }),
    }),
    route({
      method: 'put',
      path: '/distribution',
      scope: 'latchkey.devices.manage',
      tag: 'devices',
      summary: 'The global switch: off makes every device unmanaged and refuses enrollment and renewal',
      body: z.strictObject({ enabled: z.boolean() }),
      handle: async ({ body, origin }) => {
        await devices.setDistribution(body.enabled, origin);
        return { enabled: await devices.distributionEnabled() };
      },
    }),
    route({
      method: 'get',
      path: '/passkeys',
      scope: 'latchkey.users.read',
      tag: 'passkeys',
      summary: "List passkeys, newest first (one user's with ?username=)",
      query: z.strictObject({ username: text(255).optional() }),
      handle: async ({ query }) => ({ passkeys: await admin.passkeys.list(query) }),
    }),
    route({
      method: 'get',
      path: '/passkeys/:id',
      scope: 'latchkey.users.read',
      tag: 'passkeys',
      summary: 'Show a passkey: what the authenticator said about itself and what it proves',
      handle: ({ params }) => admin.passkeys.show(params.id!),
    }),
    route({
      method: 'post',
      path: '/passkeys/:id/revoke',
      scope: 'latchkey.users.manage',
      tag: 'passkeys',
      summary: 'Revoke a passkey: refused at the next sign-in; sessions it proved stop working',
      body: z.strictObject({ reason: text(512).default('revoked by an administrator') }),
      handle: ({ params, body, origin }) => admin.passkeys.revoke(params.id!, body.reason, origin),
    }),
  ];
}
