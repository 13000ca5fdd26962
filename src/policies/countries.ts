// Country codes policies may name: the 249 officially assigned ISO 3166-1 alpha-2 codes plus XK (Kosovo,
// used by registries and geo databases). A closed list catches mistakes such as "UK" for GB at load time.

const ASSIGNED = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK`;

const COUNTRY_CODES: ReadonlySet<string> = new Set(ASSIGNED.trim().split(/\s+/));

/** The value a policy writes to match sign-ins whose country is not known. */
export const UNKNOWN_COUNTRY = 'unknown';

/** Common look-alikes that are not ISO codes, with the code meant. */
const HINTS: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR', EU: 'list the member states' };

/** True for an assigned ISO 3166-1 alpha-2 code (upper case) or XK. */
export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

/** Normalise a country code from a database or header: upper-cased, or null when not an assigned code. */
export function normaliseCountryCode(code: string | null | undefined): string | null {
  if (code === null || code === undefined) return null;
  const upper = code.trim().toUpperCase();
  return COUNTRY_CODES.has(upper) ? upper : null;
}

/** Why a policy-file country entry is invalid, or null when it is valid. */
export function countryCodeProblem(code: string): string | null {
  if (code === UNKNOWN_COUNTRY || COUNTRY_CODES.has(code)) return null;
  if (COUNTRY_CODES.has(code.toUpperCase())) return `country codes are upper case: write ${code.toUpperCase()}`;
  const hint = HINTS[code.toUpperCase()];
  const suffix = hint === undefined ? '' : ` (${hint.length === 2 ? `did you mean ${hint}?` : hint})`;
  return `"${code}" is not an ISO 3166-1 alpha-2 country code or "unknown"${suffix}`;
}
