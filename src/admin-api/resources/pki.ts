// /keys, /ca, /scep: token signing keys (staged rotation, retirement), the device CA (what other verifiers
// trust, a new intermediate) and SCEP for MDMs (the RA, static and one-time challenges). Creating or
// importing a CA from key files stays with the CLI, on a node: no private key ever crosses this API.
import { z } from 'zod';
import { ADMINS_SCOPE, refuseEscalation } from '../../admin/context.js';
import { InvalidInputError } from '../../errors.js';
import { route, text } from '../route.js';
import type { ResourceDeps } from './deps.js';

export function pkiRoutes({ admin, devices, scep, scepUrl }: ResourceDeps) {
  return [
    route({
      method: 'get',
      path: '/keys',
      scope: 'latchkey.keys.read',
      tag: 'keys',
      summary: 'Signing keys with their state, and how many live nodes publish exactly this set',
      handle: () => admin.keys.list(),
    }),
    route({
      method: 'post',
      path: '/keys/rotate',
      scope: 'latchkey.keys.manage',
      tag: 'keys',
      summary: "New RS256 and ES256 keys: in every node's JWKS now, signing after cluster.key_activation_delay_seconds",
      status: 201,
      handle: ({ origin }) => admin.keys.rotate(origin),
    }),
    route({
      method: 'post',
      path: '/keys/:kid/retire',
      scope: 'latchkey.keys.manage',
      tag: 'keys',
      summary: 'Remove a key from the JWKS (tokens it signed stop verifying); the key signing now is refused',
      status: 204,
      handle: ({ params, origin }) => admin.keys.retire(params.kid!, origin),
    }),
    route({
      method: 'get',
      path: '/ca',
      scope: 'latchkey.keys.read',
      tag: 'keys',
      summary: 'The device CA in use: subjects, fingerprints, validity and PEMs (what other verifiers trust)',
      handle: async () => {
        const summary = await devices.showCa();
        if (!summary) throw new InvalidInputError('ERR_CA_NOT_INITIALIZED', 'no device CA yet: run "latchkey ca init"');
        return summary;
      },
    }),
    route({
      method: 'post',
      path: '/ca/rotate-intermediate',
      scope: 'latchkey.keys.manage',
      tag: 'keys',
      summary:
        'A new intermediate from the held root; the previous one stays trusted until its last certificate expires',
      handle: ({ origin }) => devices.rotateIntermediate(origin),
    }),
    route({
      method: 'get',
      path: '/scep',
      scope: 'latchkey.keys.read',
      tag: 'scep',
      summary: 'The SCEP RA certificate, and each profile with its URL and whether it has a static challenge',
      handle: async () => ({
        ra: await scep.showRa(),
        profiles: await Promise.all(
          scep.profiles().map(async (profile) => ({
            ...profile,
            url: scepUrl(profile.name),
            staticChallengeSince: await scep.staticChallengeSince(profile.name),
          })),
        ),
      }),
    }),
    route({
      method: 'post',
      path: '/scep/ra',
      scope: 'latchkey.keys.manage',
      tag: 'scep',
      summary: 'Create the RA certificate now (or replace it with force; clients fetch the new one with GetCACert)',
      body: z.strictObject({ force: z.boolean().default(false) }),
      handle: ({ body, origin }) => scep.initRa({ force: body.force, ...origin }),
    }),
    route({
      method: 'post',
      path: '/scep/profiles/:profile/static-challenge',
      scope: 'latchkey.keys.manage',
      tag: 'scep',
      summary:
        'A new static challenge for the profile (in this answer only; needs latchkey.admins.manage too); the previous one stops working at once',
      status: 201,
      handle: async ({ params, origin }) => {
        // A static challenge enrolls a device for whichever user its request names, administrators too,
        // and a device of an administrator's opens the console: that needs latchkey.admins.manage as well.
        refuseEscalation(origin, [ADMINS_SCOPE], 'a static SCEP challenge (it can enroll a device for any user)');
        return { profile: params.profile, challenge: await scep.rotateStaticChallenge(params.profile!, origin) };
      },
    }),
    route({
      method: 'delete',
      path: '/scep/profiles/:profile/static-challenge',
      scope: 'latchkey.keys.manage',
      tag: 'scep',
      summary: "Remove the profile's static challenge (one-time challenges still work)",
      handle: async ({ params, origin }) => ({ cleared: await scep.clearStaticChallenge(params.profile!, origin) }),
    }),
    route({
      method: 'post',
      path: '/scep/challenges',
      scope: 'latchkey.devices.manage',
      tag: 'scep',
      summary: 'A one-time SCEP challenge for a user (in this answer only), for an MDM to put in a profile',
      status: 201,
      body: z.strictObject({
        username: text(255),
        profile: text(64).optional(),
        ttlSeconds: z.number().int().positive().optional(),
      }),
      handle: async ({ body, origin }) => {
        // A device certificate for an administrator opens the console: that needs latchkey.admins.manage.
        await admin.users.changeableLogin(body.username, origin, 'a SCEP challenge for');
        return scep.createChallenge(body.username, body.profile ?? scep.defaultProfile(), {
          ttlSeconds: body.ttlSeconds,
          ...origin,
        });
      },
    }),
  ];
}
