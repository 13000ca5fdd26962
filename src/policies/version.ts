// Operating-system versions compared component by component as numbers, so "14.10" is newer than "14.9"
// and "14" equals "14.0". Policy versions are strict; versions reported by devices are read leniently.

/** Strict form for policy files: one to four dot-separated numbers. */
const POLICY_VERSION = /^\d{1,9}(\.\d{1,9}){0,3}$/;

/** Parse a version written in a policy file ("14.2.1"); null when malformed. */
export function parsePolicyVersion(text: string): number[] | null {
  return POLICY_VERSION.test(text) ? text.split('.').map(Number) : null;
}

/** Read the leading numeric components of a reported version ("10.15.7", "17_2", "14.2 (23C64)"); null if none. */
export function parseReportedVersion(text: string | undefined): number[] | null {
  if (text === undefined) return null;
  const match = /^\s*v?(\d{1,9}(?:[._]\d{1,9})*)/.exec(text);
  return match?.[1] === undefined ? null : match[1].split(/[._]/).map(Number);
}

/** Compare two versions: negative when a < b, 0 when equal (missing components count as 0), positive when a > b. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** True when the reported version is known and at least the minimum. */
export function meetsMinimumVersion(reported: readonly number[] | null, minimum: readonly number[]): boolean {
  return reported !== null && compareVersions(reported, minimum) >= 0;
}

/** Render a parsed version back to text. */
export function formatVersion(version: readonly number[]): string {
  return version.join('.');
}
