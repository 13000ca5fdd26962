// Device certificates verified before, per set of trust anchors. A device presents the same certificate
// at every sign-in for its 30 days, and verifying it again (parsing, decoding extensions, a signature:
// about 4 ms of CPU in @peculiar/x509, most of a device check's cost in the server profile) cannot give
// another answer while the anchors are the same, except in time: a kept success is used only while `now`
// lies inside the validity of the leaf and of every anchor, and verified in full otherwise. Revocation is
// never part of it (the caller reads it from the database at each check). Only successes are kept, and at
// most `limit` of them, so certificates made up by a client can neither fill it nor be answered from it.
import { createHash } from 'node:crypto';
import type { DeviceCertificateVerification, VerifiedDeviceCertificate } from './verify.js';
import type { x509 } from './x509.js';

export interface ChainAnchors {
  root: x509.X509Certificate;
  verifying: readonly x509.X509Certificate[];
}

interface Kept {
  verified: VerifiedDeviceCertificate;
  from: number;
  until: number;
}

export type FullVerification = (
  leafDer: Uint8Array,
  anchors: ChainAnchors,
  now: Date,
) => Promise<DeviceCertificateVerification>;

export class VerifiedChains {
  /** Per anchors object (a new one whenever the CA records change), leaf SHA-256 → the kept success. */
  readonly #kept = new WeakMap<ChainAnchors, Map<string, Kept>>();

  constructor(
    private readonly verifyFully: FullVerification,
    private readonly limit = 10_000,
  ) {}

  async verify(leafDer: Uint8Array, anchors: ChainAnchors, now: Date): Promise<DeviceCertificateVerification> {
    let kept = this.#kept.get(anchors);
    if (!kept) this.#kept.set(anchors, (kept = new Map()));
    const key = createHash('sha256').update(leafDer).digest('hex');
    const hit = kept.get(key);
    const at = now.getTime();
    if (hit && hit.from <= at && at <= hit.until) {
      // Most recently used last: the oldest entry is the first one a full map gives up.
      kept.delete(key);
      kept.set(key, hit);
      return hit.verified;
    }
    const result = await this.verifyFully(leafDer, anchors, now);
    if (!result.ok) {
      kept.delete(key);
      return result;
    }
    const certificates = [result.certificate, anchors.root, ...anchors.verifying];
    kept.delete(key);
    kept.set(key, {
      verified: result,
      from: Math.max(...certificates.map((certificate) => certificate.notBefore.getTime())),
      until: Math.min(...certificates.map((certificate) => certificate.notAfter.getTime())),
    });
    if (kept.size > this.limit) kept.delete(kept.keys().next().value!);
    return result;
  }
}
