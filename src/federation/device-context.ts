// The `device_context` claim a factor client receives, as Okta's device posture provider (its OIDC data
// contract) reads it: whether the device is managed by Latchkey, whether it is compliant, and its id.
// `compliant` comes from the operator's compliance rule (federation.compliance): integrity, when
// required, and a minimum OS version per platform.
import type { Platform } from '../policies/index.js';
import { formatVersion, meetsMinimumVersion, parsePolicyVersion, parseReportedVersion } from '../policies/version.js';

/** What the claim is computed from: the device a sign-in proved, as it stands now. */
export interface ContextDevice {
  readonly id: string;
  readonly managed?: boolean;
  readonly platform?: Platform;
  readonly osVersion?: string;
  /** The device's integrity as last reported (secure boot and the like); self-reported by the agent. */
  readonly integrity?: 'passed' | 'failed' | 'unknown';
}

export interface ComplianceRule {
  readonly requireIntegrity: boolean;
  /** Platform → minimum OS version; platforms not listed have no version requirement. */
  readonly minimumOsVersions: ReadonlyMap<Platform, readonly number[]>;
}

export interface DeviceContext {
  managed: boolean;
  compliant: boolean;
  /** Latchkey's id of the device (absent when no device was proven). */
  externalId?: string;
}

/** The compliance rule from configuration (federation.compliance, validated when it was loaded). */
export function complianceRule(config: {
  require_integrity: boolean;
  minimum_os_versions: Partial<Record<Platform, string>>;
}): ComplianceRule {
  const minimums = new Map<Platform, readonly number[]>();
  for (const [platform, text] of Object.entries(config.minimum_os_versions)) {
    if (text !== undefined) minimums.set(platform as Platform, parsePolicyVersion(text)!);
  }
  return { requireIntegrity: config.require_integrity, minimumOsVersions: minimums };
}

/** Why a device is not compliant (empty when it is). */
export function complianceFailures(device: ContextDevice, rule: ComplianceRule): string[] {
  const failures: string[] = [];
  if (device.managed === false) failures.push('the device is not managed');
  if (rule.requireIntegrity && device.integrity !== 'passed') {
    failures.push(`its integrity check has not passed (${device.integrity ?? 'unknown'})`);
  }
  const minimum = device.platform ? rule.minimumOsVersions.get(device.platform) : undefined;
  if (minimum && !meetsMinimumVersion(parseReportedVersion(device.osVersion), minimum)) {
    failures.push(
      `${device.platform} ${device.osVersion ?? '(version unknown)'} is older than ${formatVersion(minimum)}`,
    );
  }
  return failures;
}

/** The claim for a sign-in that proved `device` (or none). */
export function deviceContext(device: ContextDevice | undefined, rule: ComplianceRule): DeviceContext {
  if (!device) return { managed: false, compliant: false };
  const managed = device.managed !== false;
  return { managed, compliant: managed && complianceFailures(device, rule).length === 0, externalId: device.id };
}
