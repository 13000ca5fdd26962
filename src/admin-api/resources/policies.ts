// /policies: the set in force, validating a draft, publishing it (with a what-if preview and a version
// check), switching one policy's state, and the what-if itself.
import { z } from 'zod';
import { whatIfToJson, type WhatIfOptions } from '../../admin/what-if.js';
import { namedBy } from '../../admin/option-names.js';
import { MAX_POLICY_TEXT } from '../../admin/policies.js';
import { POLICY_STATES } from '../../policies/index.js';
import { route, text } from '../route.js';
import type { ResourceDeps } from './deps.js';

/** Policy text: YAML, so several lines; no NUL (refused by the router for every field). */
const policyText = z.string().min(1).max(MAX_POLICY_TEXT);

/** A sign-in to predict, in the CLI's what-if words (`latchkey policy what-if --help`). */
const signIn = z.strictObject({
  client: text(128),
  clientType: text(32).optional(),
  user: text(255).optional(),
  groups: z.array(text(255)).max(50).optional(),
  ip: text(64),
  country: text(16).optional(),
  userAgent: text(1024).optional(),
  platform: text(32).optional(),
  osVersion: text(32).optional(),
  deviceTrust: text(32).optional(),
  methods: z.array(text(32)).max(10).optional(),
  methodsAgeSeconds: z.number().int().min(0).max(31_536_000).optional(),
  acrValues: text(512).optional(),
});

/** The what-if options as this API's fields name them, for refusals. */
const API_FIELDS = namedBy({ group: 'groups', methodsAge: 'methodsAgeSeconds' });

function whatIfOptions(input: z.infer<typeof signIn>): WhatIfOptions {
  const { groups, methods, methodsAgeSeconds, ...rest } = input;
  return {
    ...rest,
    group: groups,
    methods: methods?.join(','),
    methodsAge: String(methodsAgeSeconds ?? 0),
    optionNames: API_FIELDS,
  };
}

export function policyRoutes({ admin, whatIf }: ResourceDeps) {
  return [
    route({
      method: 'get',
      path: '/policies',
      scope: 'latchkey.policies.read',
      tag: 'policies',
      summary: 'The policy set in force: version, source and text (version 0: the built-in set)',
      handle: () => admin.policies.current(),
    }),
    route({
      method: 'post',
      path: '/policies/validate',
      scope: 'latchkey.policies.read',
      tag: 'policies',
      summary: 'Check a draft without publishing it: a summary, or every problem with line and column',
      limitBytes: MAX_POLICY_TEXT + 4096,
      body: z.strictObject({ text: policyText }),
      handle: async ({ body }) => {
        const checked = admin.policies.check(body.text);
        return checked.ok ? { ok: true, summary: checked.summary } : { ok: false, issues: checked.issues };
      },
    }),
    route({
      method: 'put',
      path: '/policies',
      scope: 'latchkey.policies.manage',
      tag: 'policies',
      summary:
        'Replace the policy set; every node applies it within cluster.poll_seconds. With preview, the what-if of each sign-in under the draft; with dryRun, nothing is published',
      limitBytes: MAX_POLICY_TEXT + 64 * 1024,
      body: z.strictObject({
        text: policyText,
        expectedVersion: z.number().int().min(0).optional(),
        preview: z.array(signIn).max(20).optional(),
        dryRun: z.boolean().optional(),
      }),
      handle: async ({ body, origin }) => {
        const draft = admin.policies.parse(body.text);
        const preview = await Promise.all(
          (body.preview ?? []).map(async (input) => whatIfToJson(await whatIf(whatIfOptions(input), draft))),
        );
        if (body.dryRun) return { published: false, preview };
        const published = await admin.policies.publish(body.text, origin, { expectedVersion: body.expectedVersion });
        return { published: true, ...published, preview };
      },
    }),
    route({
      method: 'put',
      path: '/policies/:name/state',
      scope: 'latchkey.policies.manage',
      tag: 'policies',
      summary: 'Switch one policy of the set in force to enabled, report-only or disabled (publishes a new version)',
      body: z.strictObject({ state: z.enum(POLICY_STATES) }),
      handle: ({ params, body, origin }) => admin.policies.setState(params.name!, body.state, origin),
    }),
    route({
      method: 'post',
      path: '/policies/what-if',
      scope: 'latchkey.policies.read',
      tag: 'policies',
      summary: "Predict how a sign-in ends (DENY, NEEDS or ALLOW with its steps) and every policy's verdict",
      limitBytes: MAX_POLICY_TEXT + 16 * 1024,
      body: signIn.extend({ text: policyText.optional() }),
      handle: async ({ body }) => {
        const { text: draftText, ...input } = body;
        return whatIfToJson(
          await whatIf(whatIfOptions(input), draftText === undefined ? undefined : admin.policies.parse(draftText)),
        );
      },
    }),
  ];
}
