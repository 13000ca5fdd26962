// The CRL published at GET /device/crl. Building it is slow for long lists, so each node keeps the last one
// and rebuilds only when the revocations of the issuing intermediate changed (a cheap aggregate query) or
// half its validity has passed; concurrent requests share one build.
import { buildCrl, type BuiltCrl, type RevocationReason } from '../ca/crl.js';
import type { TrustContext } from './context.js';
import { type CachedCrl, crlIsStale } from './decisions.js';

export class CrlPublisher {
  /** The last CRL built per intermediate id. */
  readonly #cached = new Map<string, CachedCrl & { crl: BuiltCrl }>();
  readonly #building = new Map<string, Promise<BuiltCrl>>();

  constructor(private readonly ctx: TrustContext) {}

  /**
   * The current CRL (DER and PEM, thisUpdate, nextUpdate) of intermediate `id` (default: the one that
   * issues now), from the cache when still good; undefined for an intermediate whose leaves no longer verify.
   */
  async current(id?: string): Promise<BuiltCrl | undefined> {
    const now = this.ctx.now();
    const anchors = await this.ctx.ca.anchors();
    const intermediateId = id ?? anchors.intermediateId;
    if (id !== undefined && !(await this.ctx.store.verifyingIntermediates()).some((record) => record.id === id))
      return undefined;
    const fingerprint = await this.ctx.store.revocationFingerprint(intermediateId);
    const cached = this.#cached.get(intermediateId);
    if (!crlIsStale(cached, fingerprint, now)) return cached!.crl;
    let building = this.#building.get(fingerprint);
    if (!building) {
      building = this.build(intermediateId, fingerprint, now).finally(() => this.#building.delete(fingerprint));
      this.#building.set(fingerprint, building);
    }
    return building;
  }

  private async build(intermediateId: string, fingerprint: string, now: Date): Promise<BuiltCrl> {
    const ca = await this.ctx.ca.issuingFor(intermediateId, now);
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
    this.#cached.set(intermediateId, { fingerprint, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, crl });
    return crl;
  }
}
