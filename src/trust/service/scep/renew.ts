// Renewal over SCEP: the request is signed with the device's current certificate, which must stand exactly
// as for renewal over mTLS (renewal.ts: chain, database record, revocation, owner, switch, window). The
// CSR's key (new or the same) gets the successor certificate; the old one is superseded and the nonce
// claimed in the same transaction. The device record, its platform and owner carry over.
import type { PkiMessage } from '../../scep/pki-message.js';
import { renewableCertificate, supersede } from '../renewal.js';
import type { ScepContext, ScepProfile } from './context.js';
import type { ScepIssued } from './enroll.js';
import { claimNonce } from './nonce.js';
import type { RequestCsr } from './request-csr.js';

/** Renews the certificate that signed `message` for the key of `csr`. */
export async function renewBySigner(
  ctx: ScepContext,
  profile: ScepProfile,
  message: PkiMessage,
  csr: RequestCsr,
  now: Date,
): Promise<ScepIssued> {
  const renewable = await renewableCertificate(ctx.trust, new Uint8Array(message.signer.rawData), now);
  const leaf = await supersede(ctx.trust, renewable, csr.verified.publicKey, now, (trx, issued) =>
    claimNonce(ctx, trx, message, {
      profile: profile.name,
      serial: issued.issued.serial,
      deviceId: renewable.owner.deviceId,
      now,
    }),
  );
  return { leaf, owner: renewable.owner };
}
