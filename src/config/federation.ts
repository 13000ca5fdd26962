// Settings of the federated factor that are the same for every factor client (each client's own are
// kept with it: federation/settings.ts).
import { z } from 'zod';
import { PLATFORMS } from '../policies/index.js';
import { parsePolicyVersion } from '../policies/version.js';

const version = z
  .string()
  .refine((text) => parsePolicyVersion(text) !== null, { message: 'must be a version such as 14 or 10.0.19045' });

export const federationSchema = z.strictObject({
  compliance: z.strictObject({
    require_integrity: z.boolean(),
    minimum_os_versions: z.partialRecord(z.enum(PLATFORMS), version),
  }),
});
