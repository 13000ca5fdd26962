// What the admin API answers with: the services' values as JSON, with every time (a Date, or a field named
// ...At, notBefore or notAfter holding epoch milliseconds) as an RFC 3339 string, so clients never guess
// the unit. The policy engine's own times are epoch seconds (evaluatedAt in a decision): those stay
// numbers, as in the CLI's JSON.
/** Epoch milliseconds of 2001-09-09: below it, a number named ...At is epoch seconds, not milliseconds. */
const EPOCH_MS_2001 = 1e12;

/** Names of fields that hold a time: createdAt, expiresAt, ...; a certificate's notBefore and notAfter. */
const TIME_KEY = /(At|^notBefore|^notAfter)$/;

/** `value` ready for JSON, times as RFC 3339 strings. */
export function toApiJson(value: unknown, key = ''): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && TIME_KEY.test(key) && value >= EPOCH_MS_2001) return new Date(value).toISOString();
  if (Array.isArray(value)) return value.map((item) => toApiJson(item));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toApiJson(v, k)]));
  }
  return value;
}
