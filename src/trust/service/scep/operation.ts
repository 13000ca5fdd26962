// PKIOperation: parse → verify → decide → act, then answer with a CertRep signed by the RA.
//   parse:  the pkiMessage (unreadable: HTTP 400, audited, nothing else happens);
//   verify: signer key, digest, signature, signingTime; the envelope is ours and decrypts to a CSR that
//           passes the CSR checks;
//   decide: the route (enroll by challenge, or renew by the signing certificate) and its own checks;
//   act:    one transaction (enroll.ts, renew.ts).
// Every readable request is answered with a CertRep: SUCCESS with the certificate encrypted to the
// requester, or FAILURE with the failInfo of the refusal. Faults of ours (database down, no CA) are not the
// requester's: they become HTTP 5xx. Every outcome is written to the audit log.
import { LatchkeyError } from '../../../errors.js';
import type { AuditEvent } from '../../../store/audit.js';
import { issuedBy } from '../../constraints.js';
import { buildCertRep, type CertRepOutcome } from '../../scep/cert-rep.js';
import { openEnvelope } from '../../scep/envelope.js';
import { parsePkiMessage, type PkiMessage } from '../../scep/pki-message.js';
import { messageTypeName } from '../../scep/protocol.js';
import { verifyPkiSignature } from '../../scep/signature.js';
import { auditOrigin, type Origin } from '../context.js';
import { type ScepContext, type ScepProfile, profileNamed } from './context.js';
import { routeOf, type ScepRoute, signingTimeRefusal } from './decisions.js';
import { enrollByChallenge, type ScepIssued } from './enroll.js';
import type { RaCredentials } from './ra.js';
import { refuse, refusalOf, REFUSALS } from './refusals.js';
import { readRequestCsr } from './request-csr.js';
import { renewBySigner } from './renew.js';

/** Keys accepted as signers: csr.ts's RSA bounds (the signer's key is usually the CSR's). */
const SIGNER_LIMITS = { minRsaBits: 2048, maxRsaBits: 8192 };

export interface PkiOperationAnswer {
  /** The DER CertRep. */
  der: Uint8Array;
  status: 'SUCCESS' | 'FAILURE';
}

/** Answers a PKIOperation for `profileName`; throws only for unreadable input (400) and faults of ours. */
export async function pkiOperation(
  ctx: ScepContext,
  profileName: string,
  der: Uint8Array,
  origin: Origin,
): Promise<PkiOperationAnswer> {
  const profile = profileNamed(ctx, profileName);
  const now = ctx.trust.now();
  let message: PkiMessage;
  try {
    message = parsePkiMessage(der);
  } catch (error) {
    await auditUnreadable(ctx, profile.name, error, origin);
    throw error;
  }
  const ra = await ctx.ra.current(now);
  const outcome = await auditedOutcome(ctx, profile, message, ra, now, origin);
  const certRep = await buildCertRep({ ra: ra.signer, chain: ra.chain, request: message, outcome, now });
  return { der: certRep, status: outcome.status };
}

/**
 * The CertRep outcome of a readable request, written to the audit log: `scep.enroll` or `scep.renew` once
 * the route is known, else `scep.request`. A fault of ours is audited too, then thrown (HTTP 5xx).
 */
async function auditedOutcome(
  ctx: ScepContext,
  profile: ScepProfile,
  message: PkiMessage,
  ra: RaCredentials,
  now: Date,
  origin: Origin,
): Promise<CertRepOutcome> {
  const trace: { route?: ScepRoute } = {};
  const detail = {
    profile: profile.name,
    transactionId: message.transactionId,
    messageType: messageTypeName(message.messageType) ?? message.messageType,
  };
  const record = (event: Omit<AuditEvent, 'event'>) =>
    ctx.trust.audit.record({ event: eventOf(trace.route), ...auditOrigin(origin), ...event });
  try {
    const issued = await answer(ctx, profile, message, ra, now, trace);
    const { userId, deviceId } = issued.owner;
    await record({ outcome: 'success', userId, deviceId, detail: { ...detail, serial: issued.leaf.issued.serial } });
    const certificates = [issued.leaf.issued.certificate, ra.chain[0]!];
    return { status: 'SUCCESS', certificates, recipient: message.signer, algorithm: issued.algorithm };
  } catch (error) {
    const refusal = refusalOf(error);
    const code = refusal?.code ?? (error instanceof LatchkeyError ? error.code : 'ERR_INTERNAL');
    const extra = error instanceof LatchkeyError ? error.detail : {};
    await record({ outcome: 'failure', reasons: [code], detail: { ...detail, failInfo: refusal?.failInfo, ...extra } });
    if (!refusal) throw error;
    return { status: 'FAILURE', failInfo: refusal.failInfo, text: refusal.message };
  }
}

/** Audits a PKIOperation whose input was no pkiMessage (it is answered HTTP 400). */
export async function auditUnreadable(
  ctx: ScepContext,
  profile: string,
  error: unknown,
  origin: Origin,
): Promise<void> {
  const code = error instanceof LatchkeyError ? error.code : 'ERR_INTERNAL';
  await ctx.trust.audit.record({
    event: 'scep.request',
    outcome: 'failure',
    ...auditOrigin(origin),
    reasons: [code],
    detail: { profile },
  });
}

async function answer(
  ctx: ScepContext,
  profile: ScepProfile,
  message: PkiMessage,
  ra: RaCredentials,
  now: Date,
  trace: { route?: ScepRoute },
): Promise<ScepIssued & { algorithm: ReturnType<typeof openEnvelope>['algorithm'] }> {
  await verifyPkiSignature(message, SIGNER_LIMITS);
  const skew = signingTimeRefusal(message.signingTime, now, ctx.settings.max_clock_skew_seconds * 1000);
  if (skew) refuse(skew, { signingTime: message.signingTime?.toISOString() });
  const route = routeOf(message.messageType, issuedBy(message.signer, ra.chain[0]!));
  if (typeof route !== 'string') refuse(route, { messageType: message.messageType });
  trace.route = route;
  if (!message.content) refuse(REFUSALS.noEnvelope);
  const opened = openEnvelope(message.content, ra);
  const csr = await readRequestCsr(opened.content);
  const issued =
    route === 'enroll'
      ? await enrollByChallenge(ctx, profile, message, csr, now)
      : await renewBySigner(ctx, profile, message, csr, now);
  return { ...issued, algorithm: opened.algorithm };
}

function eventOf(route: ScepRoute | undefined): string {
  return route === 'renew' ? 'scep.renew' : route === 'enroll' ? 'scep.enroll' : 'scep.request';
}
