// The one configuration schema. Every setting has its default in config/default.yaml; this schema says
// what values are allowed so that a bad value stops start-up with a message naming it.
import { z } from 'zod';
import { parseCidr } from '../policies/network.js';
import { deviceCheckSchema, deviceTrustSchema, port, tlsFilesSchema } from './device-trust.js';
import { federationSchema } from './federation.js';
import { scepSchema } from './scep.js';

/** What the preferred_username claim may carry (claims.preferred_username). */
export const PREFERRED_USERNAME_SOURCES = ['email', 'username'] as const;
export type PreferredUsernameSource = (typeof PREFERRED_USERNAME_SOURCES)[number];
import { passkeysSchema } from './passkeys.js';

const seconds = z.number().int().positive();
const nullableString = z.string().min(1).nullable();
/** A store timeout in seconds: long enough for a slow query, short enough that a stalled store fails fast. */
const timeout = z.number().min(0.1).max(120);

const cidr = z.string().refine(isCidr, { message: 'must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32' });

/** True for "a.b.c.d/n" or "v6/n" (a bare address counts as a single-host CIDR). */
export function isCidr(value: string): boolean {
  return parseCidr(value, { allowHostBits: true }).ok;
}

const issuer = z
  .string()
  .url()
  .refine(
    (value) => {
      // zod 4 runs refinements even after .url() failed: guard, or new URL() throws a TypeError.
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
      return url.protocol === 'https:' || (url.protocol === 'http:' && local);
    },
    { message: 'must be an https URL (http only for localhost)' },
  )
  .refine((value) => URL.canParse(value) && !new URL(value).search && !new URL(value).hash && !value.endsWith('/'), {
    message: 'must have no query, fragment or trailing slash',
  })
  .nullable();

const rateLimit = z.strictObject({ max: z.number().int().positive(), window_seconds: seconds });

export const configSchema = z.strictObject({
  issuer,
  data_dir: z.string().min(1),
  server: z.strictObject({
    host: z.string().min(1),
    port,
    host_aliases: z.array(z.string().min(1)),
    trusted_proxies: z.array(cidr),
    tls: tlsFilesSchema(
      'cert_file and key_file must be set together (or both left null for a development certificate)',
    ),
    shutdown_grace_seconds: z.number().int().min(0).max(600),
  }),
  device_check: deviceCheckSchema,
  device_trust: deviceTrustSchema,
  scep: scepSchema,
  passkeys: passkeysSchema,
  database: z.strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .nullable(),
    pool_max: z.number().int().min(1).max(1000),
    connect_timeout_seconds: timeout,
    acquire_timeout_seconds: timeout,
    statement_timeout_seconds: timeout,
    sqlite_synchronous: z.enum(['normal', 'full']),
  }),
  redis: z.strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .nullable(),
    key_prefix: z.string(),
    connect_timeout_seconds: timeout,
    command_timeout_seconds: timeout,
  }),
  cluster: z.strictObject({
    poll_seconds: z.number().min(0.05).max(300),
    cache_revalidate_seconds: z.number().min(0).max(60),
    key_activation_delay_seconds: z.number().int().min(0).max(86400),
  }),
  security: z.strictObject({
    require_master_key: z.boolean(),
    rate_limits: z.strictObject({
      login_per_user: rateLimit,
      login_per_ip: rateLimit,
      second_factor_per_user: rateLimit,
    }),
    interaction_ttl_seconds: seconds.max(86400),
    reauthentication_seconds: seconds.max(86400),
    loop_guard: z.strictObject({ max_requests: z.number().int().min(2).max(1000), window_seconds: seconds.max(3600) }),
  }),
  federation: federationSchema,
  admin: z.strictObject({
    group: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]{0,254}$/, 'must be a group name (letters, digits, spaces and . _ -)'),
    api_rate_limit: rateLimit,
  }),
  tokens: z.strictObject({
    access_token_ttl_seconds: seconds,
    id_token_ttl_seconds: seconds,
    authorization_code_ttl_seconds: seconds.max(600),
    refresh_token_ttl_seconds: seconds,
    client_credentials_ttl_seconds: seconds,
    session_ttl_seconds: seconds,
    grant_ttl_seconds: seconds,
  }),
  claims: z.strictObject({ preferred_username: z.enum(PREFERRED_USERNAME_SOURCES) }),
  metrics: z.strictObject({
    // Any string here: its length is checked where the error message can leave the secret out (load.ts).
    token: z.string().nullable(),
    port: port.nullable(),
    host: z.string().min(1),
  }),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) }),
  policies: z.strictObject({
    file: nullableString,
    country_database: nullableString,
    country_header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name such as CF-IPCountry')
      .nullable(),
  }),
});

type ParsedConfig = z.infer<typeof configSchema>;

/** Configuration after defaults that depend on other settings are filled in. */
export type LatchkeyConfig = Omit<ParsedConfig, 'issuer'> & { issuer: string };
