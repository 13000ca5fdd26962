// /audit: the audit log, newest first, with filters and cursor pagination; /audit/sign-ins/:uid is one
// sign-in's whole story, oldest first.
import { z } from 'zod';
import { InvalidInputError } from '../../errors.js';
import { MAX_AUDIT_PAGE } from '../../admin/audit.js';
import { queryInt, route, text } from '../route.js';
import type { ResourceDeps } from './deps.js';

export function auditRoutes({ admin }: ResourceDeps) {
  return [
    route({
      method: 'get',
      path: '/audit',
      scope: 'latchkey.audit.read',
      tag: 'audit',
      summary: 'Search the audit log; follow nextCursor (as ?before=) for older events',
      query: z.strictObject({
        username: text(255).optional(),
        clientId: text(128).optional(),
        event: text(64).optional(),
        outcome: z.enum(['success', 'failure', 'allow', 'deny', 'info']).optional(),
        actor: text(300).optional(),
        since: text(40).optional(),
        limit: queryInt(1, MAX_AUDIT_PAGE).optional(),
        before: text(20).optional(),
      }),
      handle: ({ query }) => {
        const { since, ...filters } = query;
        return admin.audit.search({ ...filters, since: since === undefined ? undefined : parseTime(since) });
      },
    }),
    route({
      method: 'get',
      path: '/audit/sign-ins/:uid',
      scope: 'latchkey.audit.read',
      tag: 'audit',
      summary: "One sign-in's events, oldest first: each method tried, the policy decision, how it ended",
      handle: async ({ params }) => ({ signIn: params.uid, events: await admin.audit.signIn(params.uid!) }),
    }),
  ];
}

function parseTime(value: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new InvalidInputError('ERR_REQUEST_INVALID_FIELD', `field "since": "${value}" is not an RFC 3339 time`, {
      field: 'since',
    });
  return at;
}
