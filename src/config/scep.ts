// The SCEP settings of the configuration schema (config/default.yaml documents each one): where the
// endpoint lives, the RA certificate, challenge lifetimes, clock skew, the per-IP limit, and the profiles
// an MDM points at (each with the platform and integrity its devices are recorded with).
import { z } from 'zod';
import { port } from './device-trust.js';

const rateLimit = z.strictObject({ max: z.number().int().positive(), window_seconds: z.number().int().positive() });

/** Profile names appear in URLs and CLI arguments: lower-case letters, digits and dashes. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Platforms a profile can record; "ipados" is recorded as "ios" (policies know iOS and iPadOS as one). */
export const SCEP_PLATFORMS = ['ios', 'ipados', 'android', 'macos', 'windows', 'linux', 'chromeos'] as const;
export type ScepPlatform = (typeof SCEP_PLATFORMS)[number];

/** The platform stored on a device record for a profile's platform. */
export function recordedPlatform(platform: ScepPlatform): string {
  return platform === 'ipados' ? 'ios' : platform;
}

const profile = z.strictObject({
  platform: z.enum(SCEP_PLATFORMS),
  integrity: z.enum(['unknown', 'passed']).default('unknown'),
});

/** Paths the main listener already answers (Latchkey's own and oidc-provider's). */
const TAKEN_PATHS = [
  '/device',
  '/admin',
  '/interaction',
  '/account',
  '/static',
  '/auth',
  '/token',
  '/me',
  '/jwks',
  '/session',
  '/.well-known',
  '/healthz',
  '/readyz',
];

/** A URL path of one or more segments, no trailing slash, no query: "/scep", "/mdm/scep". */
const path = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'must be a URL path such as /scep (no trailing slash, no query)')
  .refine((value) => !TAKEN_PATHS.some((taken) => value === taken || value.startsWith(`${taken}/`)), {
    message: `must not be inside a path Latchkey already serves (${TAKEN_PATHS.join(', ')})`,
  });

export const scepSchema = z.strictObject({
  path,
  plain_http: z.strictObject({ port: port.nullable(), host: z.string().min(1).nullable() }),
  ra: z.strictObject({
    key_bits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]),
    lifetime_days: z.number().int().min(30).max(3650),
  }),
  challenge_ttl_seconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86400),
  max_clock_skew_seconds: z.number().int().min(60).max(86400),
  rate_limits: z.strictObject({ pki_operation_per_ip: rateLimit }),
  profiles: z.record(z.string(), profile).superRefine((profiles, context) => {
    // zod's own key check only says "Invalid key in record": name the rule instead.
    for (const name of Object.keys(profiles).filter((key) => !PROFILE_NAME.test(key))) {
      context.addIssue({
        code: 'custom',
        path: [name],
        message: 'profile names are lower-case letters, digits and dashes (at most 64)',
      });
    }
  }),
});

export type ScepSettings = z.infer<typeof scepSchema>;

/** The URL an MDM is given for SCEP profile `profile`. */
export function scepProfileUrl(config: { issuer: string; scep: Pick<ScepSettings, 'path'> }, profile: string): string {
  return `${config.issuer}${config.scep.path}/${profile}`;
}
export type ScepProfileSettings = z.infer<typeof profile>;
