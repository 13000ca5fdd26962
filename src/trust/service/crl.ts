// The CRL published at GET /device/crl. Building it is slow for long lists, so each node keeps the last one
// and rebuilds only when the revocations of the issuing intermediate changed (a cheap aggregate query) or
// half its validity has passed; concurrent requests share one build.
import { buildCrl, type BuiltCrl, type RevocationReason } from '../ca/crl.js';
import type { TrustContext } from './context.js';
import { type CachedCrl, crlIsStale } from './decisions.js';

export class CrlPublisher {
  #cached: (CachedCrl & { crl: BuiltCrl }) | undefined;
  readonly #building = new Map<string, Promise<BuiltCrl>>();

  constructor(private readonly ctx: TrustContext) {}

  /** The current CRL (DER and PEM, thisUpdate, nextUpdate), from the cache when still good. */
  async current(): Promise<BuiltCrl> {
    const now = this.ctx.now();
    const { intermediateId } = await this.ctx.ca.anchors();
    const fingerprint = await this.ctx.store.revocationFingerprint(intermediateId);
    if (!crlIsStale(this.#cached, fingerprint, now)) return this.#cached!.crl;
    let building = this.#building.get(fingerprint);
    if (!building) {
      building = this.build(fingerprint, now).finally(() => this.#building.delete(fingerprint));
      this.#building.set(fingerprint, building);
    }
    return building;
  }

  private async build(fingerprint: string, now: Date): Promise<BuiltCrl> {
    const ca = await this.ctx.ca.issuing(now);
    const revoked = await this.ctx.store.revokedForCrl(ca.intermediateId, now.getTime());
    const crl = await buildCrl({
      ca,
      now,
      nextUpdateHours: this.ctx.config.device_trust.crl_next_update_hours,
      // Milliseconds since the epoch only grow, on every node: a CRL number needs nothing more.
      crlNumber: BigInt(now.getTime()),
      revoked: revoked.map((entry) => ({
        serial: entry.serial,
        revokedAt: new Date(entry.revokedAt!),
        reason: (entry.revocationReason ?? 'unspecified') as RevocationReason,
        notAfter: new Date(entry.notAfter),
      })),
    });
    this.#cached = { fingerprint, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, crl };
    return crl;
  }
}
