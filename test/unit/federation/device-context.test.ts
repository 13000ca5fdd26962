// device_context as Okta's device posture provider reads it, and the compliance rule behind `compliant`.
import { describe, expect, it } from '@jest/globals';
import { complianceFailures, complianceRule, deviceContext } from '../../../src/federation/device-context.js';

const RULE = complianceRule({ require_integrity: true, minimum_os_versions: { macos: '14.2', windows: '10.0.19045' } });
const MAC = { id: 'dev-1', managed: true, platform: 'macos' as const, osVersion: '14.5', integrity: 'passed' as const };

describe('device_context', () => {
  it('is managed and compliant for a managed device that meets the rule, with its id', () => {
    expect(deviceContext(MAC, RULE)).toEqual({ managed: true, compliant: true, externalId: 'dev-1' });
  });

  it('is neither managed nor compliant without a device, and names none', () => {
    expect(deviceContext(undefined, RULE)).toEqual({ managed: false, compliant: false });
  });

  it('is managed but not compliant below the minimum OS version (compared as numbers)', () => {
    expect(deviceContext({ ...MAC, osVersion: '14.1.9' }, RULE).compliant).toBe(false);
    expect(deviceContext({ ...MAC, osVersion: '14.10' }, RULE).compliant).toBe(true);
    expect(complianceFailures({ ...MAC, osVersion: '13.6' }, RULE)).toEqual(['macos 13.6 is older than 14.2']);
  });

  it('is not compliant when the version is unknown on a platform with a minimum', () => {
    expect(complianceFailures({ ...MAC, osVersion: undefined }, RULE)).toEqual([
      'macos (version unknown) is older than 14.2',
    ]);
  });

  it('has no version requirement for platforms the rule does not list', () => {
    expect(deviceContext({ ...MAC, platform: 'linux', osVersion: undefined }, RULE).compliant).toBe(true);
  });

  it('requires a passed integrity check only when the rule says so', () => {
    const unknown = { ...MAC, integrity: 'unknown' as const };
    expect(complianceFailures(unknown, RULE)).toEqual(['its integrity check has not passed (unknown)']);
    const lax = complianceRule({ require_integrity: false, minimum_os_versions: {} });
    expect(deviceContext(unknown, lax).compliant).toBe(true);
  });

  it('is never compliant for a device that is not managed', () => {
    expect(deviceContext({ ...MAC, managed: false }, RULE)).toEqual({
      managed: false,
      compliant: false,
      externalId: 'dev-1',
    });
  });
});
