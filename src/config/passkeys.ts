// The passkey settings of the configuration schema (config/default.yaml documents each one), and the
// relying-party identity derived from them and the issuer: what every WebAuthn ceremony must agree on.
import { z } from 'zod';
import type { RelyingPartyIdentity } from '../passkeys/ceremonies.js';

/** A registrable domain name as WebAuthn's RP ID: lower-case labels, no scheme, port or path. */
const RP_ID = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** An AAGUID as the authenticator reports it: 8-4-4-4-12 lower-case hex. */
const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An origin browsers report in clientDataJSON: https (http only for localhost), no path, query or fragment. */
const origin = z.string().refine(
  (value) => {
    // zod runs refinements even on values other checks refused: never throw here.
    const url = URL.canParse(value) ? new URL(value) : null;
    if (!url || url.pathname !== '/' || url.search || url.hash || url.username || value.endsWith('/')) return false;
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return url.protocol === 'https:' || (url.protocol === 'http:' && local);
  },
  { message: 'must be an origin such as https://id.example.com (https, no path or trailing slash)' },
);

export const passkeysSchema = z.strictObject({
  rp_id: z.string().regex(RP_ID, 'must be a domain name such as example.com (no scheme, port or path)').nullable(),
  rp_name: z.string().min(1).max(64),
  allowed_origins: z.array(origin).nullable(),
  attestation: z.enum(['none', 'direct']),
  accepted_aaguids: z.array(z.string().regex(AAGUID, 'must be an AAGUID such as 08987058-cadc-4b81-b6e1-30de50dcbe96')),
  metadata_file: z.string().min(1).nullable(),
  credential_lifetime_days: z.number().int().min(1).max(3650),
  registration_recency_seconds: z.number().int().min(30).max(3600),
  counter_regression: z.enum(['refuse', 'flag']),
  challenge_ttl_seconds: z.number().int().min(30).max(600),
  link_ttl_seconds: z.number().int().min(60).max(3600),
});

export type PasskeySettings = z.infer<typeof passkeysSchema>;

/** The RP ID (default: the issuer's host name) and origins (default: the issuer's origin). */
export function relyingPartyIdentity(config: { issuer: string; passkeys: PasskeySettings }): RelyingPartyIdentity {
  const issuer = new URL(config.issuer);
  return {
    rpId: config.passkeys.rp_id ?? issuer.hostname,
    rpName: config.passkeys.rp_name,
    origins: config.passkeys.allowed_origins ?? [issuer.origin],
  };
}

/**
 * Why the RP ID and origins do not fit together, or null: every origin's host must be the RP ID or a
 * subdomain of it, or browsers refuse every ceremony.
 */
export function relyingPartyProblem(identity: RelyingPartyIdentity): string | null {
  const stray = identity.origins.filter((value) => {
    const host = new URL(value).hostname;
    return host !== identity.rpId && !host.endsWith(`.${identity.rpId}`);
  });
  return stray.length
    ? `passkeys.allowed_origins ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} not on passkeys.rp_id ` +
        `${identity.rpId} or a subdomain of it: browsers would refuse every passkey ceremony there`
    : null;
}
