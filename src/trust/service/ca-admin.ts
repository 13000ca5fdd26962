// `latchkey ca init | import | show`: create Latchkey's own root and intermediate, or take an
// organisation's, and store them with sealed keys. Replacing an existing CA needs `force`, because every
// device certificate it issued stops verifying.
import { importCa as validateImport } from '../ca/import.js';
import { createDeviceCa, createIntermediateCa } from '../ca/create.js';
import { auditAdminAction, type Origin, type TrustContext } from './context.js';
import { DeviceTrustError } from './errors.js';

export interface CaCertificateSummary {
  role: 'root' | 'intermediate';
  subject: string;
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  /** Whether Latchkey holds the private key (sealed). An imported root's key never is. */
  keyHeld: boolean;
}

export interface CaSummary {
  root: CaCertificateSummary;
  intermediate: CaCertificateSummary;
  /** PEM of the root: what other verifiers trust. */
  rootPem: string;
  intermediatePem: string;
  crlUrl: string;
}

/** Creates a new root and intermediate (ECDSA P-384). Refuses if a CA exists, unless `force`. */
export async function initCa(ctx: TrustContext, options: { force?: boolean } & Origin): Promise<CaSummary> {
  await refuseExisting(ctx, options.force);
  const { root, intermediate } = await createDeviceCa({ now: ctx.now() });
  await ctx.ca.install(
    { certificate: root.certificate, privateKeyPem: root.privateKeyPem },
    { certificate: intermediate.certificate, privateKeyPem: intermediate.privateKeyPem },
  );
  return recordInstall(ctx, 'admin.ca.init', options);
}

export interface ImportCaInput extends Origin {
  rootPem: string;
  intermediatePem: string;
  /** The intermediate's private key (PKCS#8, SEC1 or PKCS#1 PEM; not encrypted). */
  intermediateKeyPem: string;
  force?: boolean;
}

/** Takes an organisation's root and intermediate (+ its key) after checking they form a usable CA. */
export async function importCa(ctx: TrustContext, input: ImportCaInput): Promise<CaSummary> {
  await refuseExisting(ctx, input.force);
  const ca = await validateImport(input.rootPem, input.intermediatePem, input.intermediateKeyPem, ctx.now());
  await ctx.ca.install(
    { certificate: ca.root, privateKeyPem: null },
    { certificate: ca.intermediate, privateKeyPem: input.intermediateKeyPem },
  );
  return recordInstall(ctx, 'admin.ca.import', input);
}

/**
 * Issues a new intermediate from the held root and makes it the one that issues; the previous intermediate
 * stays trusted until its last certificate expires (devices move over at their next renewal).
 */
export async function rotateIntermediate(ctx: TrustContext, origin: Origin): Promise<CaSummary> {
  const now = ctx.now();
  const root = await ctx.ca.rootSigner(now);
  const intermediate = await createIntermediateCa({ now, root });
  await ctx.ca.installIntermediate({
    certificate: intermediate.certificate,
    privateKeyPem: intermediate.privateKeyPem,
  });
  return recordInstall(ctx, 'admin.ca.rotate-intermediate', origin);
}

/** The CA in use, or null before `ca init`. */
export async function showCa(ctx: TrustContext): Promise<CaSummary | null> {
  const records = await ctx.ca.records();
  if (!records) return null;
  const summary = (record: typeof records.root): CaCertificateSummary => ({
    role: record.role,
    subject: record.subject,
    fingerprintSha256: record.fingerprintSha256,
    notBefore: new Date(record.notBefore),
    notAfter: new Date(record.notAfter),
    keyHeld: record.privateKeySealed !== null,
  });
  return {
    root: summary(records.root),
    intermediate: summary(records.intermediate),
    rootPem: records.root.certificatePem,
    intermediatePem: records.intermediate.certificatePem,
    crlUrl: ctx.crlUrlFor(records.intermediate.id),
  };
}

async function refuseExisting(ctx: TrustContext, force: boolean | undefined): Promise<void> {
  if (force || !(await ctx.ca.records())) return;
  throw new DeviceTrustError(
    'ERR_CA_EXISTS',
    'a device CA already exists: --force replaces it, and every device must then enroll again',
  );
}

async function recordInstall(ctx: TrustContext, event: string, origin: Origin): Promise<CaSummary> {
  const summary = (await showCa(ctx))!;
  await auditAdminAction(ctx, event, origin, {
    detail: {
      root: summary.root.fingerprintSha256,
      intermediate: summary.intermediate.fingerprintSha256,
    },
  });
  return summary;
}
