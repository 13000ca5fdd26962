// The device trust level policies match on, from what the device check proved and the device record says.

import type { DeviceTrust } from './types.js';

/**
 * unmanaged when no device was proven in this sign-in or certificate distribution is off; trusted when the
 * proven device is compliant; managed when it is enrolled but not compliant (or its integrity is unknown).
 */
export function deviceTrustLevel(
  device: { readonly compliant?: boolean | null } | null | undefined,
  certificateDistributionEnabled = true,
): DeviceTrust {
  if (device === null || device === undefined || !certificateDistributionEnabled) return 'unmanaged';
  return device.compliant === true ? 'trusted' : 'managed';
}
