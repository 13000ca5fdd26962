// The JSON bodies of POST /device/enroll and POST /device/renew as the agent sends them (src/agent/client.ts).
// Strict: an unknown field is refused rather than ignored, so a typo never silently drops posture.
import { z } from 'zod';

/** Printable text: no control characters (they would end up in logs and the admin CLI's tables). */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');

export const devicePostureSchema = z.strictObject({
  platform: z.enum(['linux', 'macos', 'windows', 'other']),
  osVersion: text(64).optional(),
  hostname: text(255).optional(),
  integrity: z.enum(['secure-boot-on', 'secure-boot-off', 'unknown']).optional(),
});

export const enrollmentRequestSchema = z.strictObject({
  token: z.string().min(1).max(256),
  /** PEM; its size and content are checked by parseAndVerifyCsr (ERR_CSR_*). */
  csr: z.string(),
  posture: devicePostureSchema,
});

export const renewalRequestSchema = z.strictObject({
  /** A new key's CSR; absent: the current key is certified again. */
  csr: z.string().optional(),
});

export type DevicePostureReport = z.infer<typeof devicePostureSchema>;
export type EnrollmentRequest = z.infer<typeof enrollmentRequestSchema>;
export type RenewalRequest = z.infer<typeof renewalRequestSchema>;
