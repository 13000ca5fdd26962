// /users and /groups: people, their credentials, sessions and groups (admin/users.ts, admin/groups.ts).
import { z } from 'zod';
import { clearable, pageBody, pageQuery, route, text } from '../route.js';
import type { ResourceDeps } from './deps.js';

const password = z.string().min(1).max(1024);
const username = text(255);

export function userRoutes({ admin }: ResourceDeps) {
  return [
    route({
      method: 'get',
      path: '/users',
      scope: 'latchkey.users.read',
      tag: 'users',
      summary: 'List users by username, a page at a time (?q= finds text in username, email or name)',
      query: z.strictObject({ q: text(255).optional(), ...pageQuery }),
      handle: async ({ query }) => {
        const { q, ...page } = query;
        return pageBody('users', await admin.users.page({ ...page, search: q }));
      },
    }),
    route({
      method: 'post',
      path: '/users',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Create a user (without a password: device-bound sign-in only)',
      status: 201,
      body: z.strictObject({ username, email: clearable(254), name: clearable(255), password: password.optional() }),
      handle: ({ body, origin }) => admin.users.create(body, origin),
    }),
    route({
      method: 'get',
      path: '/users/:username',
      scope: 'latchkey.users.read',
      tag: 'users',
      summary: 'Show a user with groups and attributes',
      handle: ({ params }) => admin.users.show(params.username!),
    }),
    route({
      method: 'patch',
      path: '/users/:username',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Change email or name, disable (ending every session) or enable',
      body: z
        .strictObject({ email: clearable(254), name: clearable(255), disabled: z.boolean().optional() })
        .refine((b) => Object.keys(b).length > 0, 'give at least one of email, name, disabled'),
      handle: async ({ params, body, origin }) => {
        const { disabled, ...changes } = body;
        if (Object.keys(changes).length > 0) await admin.users.update(params.username!, changes, origin);
        if (disabled !== undefined) await admin.users.setDisabled(params.username!, disabled, origin);
        return admin.users.show(params.username!);
      },
    }),
    route({
      method: 'put',
      path: '/users/:username/password',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Set the password',
      status: 204,
      body: z.strictObject({ password }),
      handle: ({ params, body, origin }) => admin.users.setPassword(params.username!, body.password, origin),
    }),
    route({
      method: 'post',
      path: '/users/:username/totp',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Give the user a new TOTP secret (returned once: secret and otpauth URI)',
      status: 201,
      handle: async ({ params, origin }) => {
        const { user, secret, uri } = await admin.users.enrollTotp(params.username!, origin);
        return { username: user.username, secret, uri };
      },
    }),
    route({
      method: 'delete',
      path: '/users/:username/totp',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Remove the TOTP secret',
      status: 204,
      handle: ({ params, origin }) => admin.users.resetTotp(params.username!, origin),
    }),
    route({
      method: 'post',
      path: '/users/:username/revoke-sessions',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'End every session, grant and refresh token of the user at once',
      handle: async ({ params, origin }) => ({
        removed: (await admin.users.revokeSessions(params.username!, origin)).removed,
      }),
    }),
    route({
      method: 'put',
      path: '/users/:username/attributes/:name',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Set what another IdP knows the user by (e.g. entra_oid)',
      status: 204,
      body: z.strictObject({ value: text(512) }),
      handle: ({ params, body, origin }) =>
        admin.users.setAttribute(params.username!, params.name!, body.value, origin),
    }),
    route({
      method: 'delete',
      path: '/users/:username/attributes/:name',
      scope: 'latchkey.users.manage',
      tag: 'users',
      summary: 'Remove an attribute',
      status: 204,
      handle: ({ params, origin }) => admin.users.setAttribute(params.username!, params.name!, null, origin),
    }),
    route({
      method: 'get',
      path: '/groups',
      scope: 'latchkey.users.read',
      tag: 'groups',
      summary: 'List groups with their member counts',
      handle: async () => ({ groups: await admin.groups.list() }),
    }),
    route({
      method: 'post',
      path: '/groups',
      scope: 'latchkey.groups.manage',
      tag: 'groups',
      summary: 'Create a group',
      status: 201,
      body: z.strictObject({ name: text(255), description: clearable(1024) }),
      handle: ({ body, origin }) => admin.groups.create(body.name, body.description ?? null, origin),
    }),
    route({
      method: 'get',
      path: '/groups/:name',
      scope: 'latchkey.users.read',
      tag: 'groups',
      summary: 'Show a group with its members',
      handle: ({ params }) => admin.groups.show(params.name!),
    }),
    route({
      method: 'delete',
      path: '/groups/:name',
      scope: 'latchkey.groups.manage',
      tag: 'groups',
      summary: 'Remove a group (its members stay)',
      status: 204,
      handle: ({ params, origin }) => admin.groups.remove(params.name!, origin),
    }),
    route({
      method: 'put',
      path: '/groups/:name/members/:username',
      scope: 'latchkey.groups.manage',
      tag: 'groups',
      summary: 'Add a member (idempotent)',
      handle: async ({ params, origin }) =>
        (await admin.groups.setMember(params.name!, params.username!, true, origin)).group,
    }),
    route({
      method: 'delete',
      path: '/groups/:name/members/:username',
      scope: 'latchkey.groups.manage',
      tag: 'groups',
      summary: 'Remove a member (idempotent)',
      handle: async ({ params, origin }) =>
        (await admin.groups.setMember(params.name!, params.username!, false, origin)).group,
    }),
  ];
}
