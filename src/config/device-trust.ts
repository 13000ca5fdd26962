// The device-check listener and device-trust settings of the configuration schema (config/default.yaml
// documents each one), and the derived URLs every part of device trust must agree on.
import { z } from 'zod';
import { CERTIFICATE_HEADER_FORMATS } from '../http/client-certificate.js';
import { parseCidr } from '../policies/network.js';

const PORT_RULE = 'must be a port number from 1 to 65535';
/** A TCP port; one message for every way to get it wrong ("eighty", 0, 70000, 8443.5). */
export const port = z.number({ error: PORT_RULE }).int({ error: PORT_RULE }).min(1, PORT_RULE).max(65535, PORT_RULE);
const rateLimit = z.strictObject({ max: z.number().int().positive(), window_seconds: z.number().int().positive() });

/** "2/3" or "14/30" as a number; null when `text` is not such a fraction. */
export function parseFraction(text: string): number | null {
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!match || Number(match[2]) === 0) return null;
  return Number(match[1]) / Number(match[2]);
}

/** A fraction strictly between 0 and 1, written as a number (0.5) or a ratio ("2/3", "14/30"). */
const renewalFraction = z.union([z.number(), z.string()]).transform((value, context) => {
  const fraction = typeof value === 'number' ? value : parseFraction(value);
  if (fraction === null || !(fraction > 0 && fraction < 1)) {
    context.addIssue({
      code: 'custom',
      message: 'must be a fraction strictly between 0 and 1, such as 0.5, "2/3" or "14/30"',
    });
    return z.NEVER;
  }
  return fraction;
});

/** The origin browsers and agents reach the device-check listener at: https, no path, query or fragment. */
const publicUrl = z
  .string()
  .url()
  .refine(
    (value) => {
      // zod runs this check even after .url() failed, so an unparseable value must not throw here.
      const url = URL.canParse(value) ? new URL(value) : null;
      return url?.protocol === 'https:' && url.pathname === '/' && !url.search && !url.hash && !url.username;
    },
    { message: 'must be an https origin such as https://certauth.example.com:8444 (no path, query or fragment)' },
  )
  .nullable();

const nullableFile = z.string().min(1).nullable();

/** A certificate and its key, both set or both null (the defaults apply). */
export const tlsFilesSchema = (both: string) =>
  z
    .strictObject({ cert_file: nullableFile, key_file: nullableFile })
    .refine((tls) => (tls.cert_file === null) === (tls.key_file === null), { message: both });
const cidr = z.string().refine((value) => parseCidr(value, { allowHostBits: true }).ok, {
  message: 'must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32',
});

/** Behind a TLS-terminating proxy: the header carrying the client certificate, and who may send it. */
const certificateHeader = z
  .strictObject({
    format: z.enum(CERTIFICATE_HEADER_FORMATS),
    name: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name such as X-Forwarded-Client-Cert')
      .nullable(),
    trusted_proxies: z.array(cidr).min(1, 'must list the proxies that send the header: from anyone else it is ignored'),
  })
  .nullable();

export const deviceCheckSchema = z.strictObject({
  port,
  host: z.string().min(1).nullable(),
  public_url: publicUrl,
  tls: tlsFilesSchema(
    "cert_file and key_file must be set together (or both left null to serve the main listener's certificate)",
  ),
  client_certificate_header: certificateHeader,
  /** Seconds a hand-off reference between the two listeners stays usable. */
  handoff_ttl_seconds: z.number().int().min(10).max(600),
});

export const deviceTrustSchema = z.strictObject({
  certificate_lifetime_days: z.number().int().min(1).max(398),
  renewal_fraction: renewalFraction,
  enrollment_token_ttl_seconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86400),
  crl_next_update_hours: z.number().int().min(1).max(744),
  rate_limits: z.strictObject({ enroll_per_ip: rateLimit, renew_per_ip: rateLimit }),
});

export type DeviceTrustSettings = z.infer<typeof deviceTrustSchema>;
export type DeviceCheckSettings = z.infer<typeof deviceCheckSchema>;

/** The device-check origin: device_check.public_url, else the issuer's host name on device_check.port. */
export function deviceCheckPublicUrl(config: {
  issuer: string;
  device_check: Pick<DeviceCheckSettings, 'port' | 'public_url'>;
}): string {
  if (config.device_check.public_url) return new URL(config.device_check.public_url).origin;
  const url = new URL(config.issuer);
  url.protocol = 'https:';
  url.port = String(config.device_check.port);
  return url.origin;
}

/**
 * Where an intermediate's CRL is published on the main listener, written into every certificate it
 * issues: GET /device/crl/<intermediate id> (GET /device/crl serves the one that issues now).
 */
export function crlUrl(config: { issuer: string }, intermediateId?: string): string {
  return intermediateId ? `${config.issuer}/device/crl/${intermediateId}` : `${config.issuer}/device/crl`;
}
