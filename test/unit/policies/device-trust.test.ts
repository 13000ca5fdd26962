import { describe, expect, it } from '@jest/globals';
import { deviceTrustLevel } from '../../../src/policies/device-trust.js';

describe('deviceTrustLevel', () => {
  it('calls a sign-in without a proven device unmanaged', () => {
    expect(deviceTrustLevel(undefined)).toBe('unmanaged');
    expect(deviceTrustLevel(null)).toBe('unmanaged');
  });

  it('calls a proven compliant device trusted and any other proven device managed', () => {
    expect(deviceTrustLevel({ compliant: true })).toBe('trusted');
    expect(deviceTrustLevel({ compliant: false })).toBe('managed');
    expect(deviceTrustLevel({ compliant: null })).toBe('managed');
  });

  it('makes every device unmanaged while certificate distribution is off', () => {
    expect(deviceTrustLevel({ compliant: true }, false)).toBe('unmanaged');
  });
});
