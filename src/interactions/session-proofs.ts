// What a signed-in session proved, kept after the interaction ends (oidc-provider's session holds only
// accountId, acr, amr and the login time), and re-checked whenever it is relied on: the session check of a
// new authorization, a step-up, and every use of a token (tokens carry their session's uid). A proof past
// its expiry, or a device that no longer stands (revoked, its certificate revoked or expired, owner
// disabled, distribution off), no longer counts.
import type { EpochSeconds } from '../policies/index.js';
import type { SessionProofRepository } from '../store/session-proofs.js';
import type { DeviceStanding } from '../trust/service/index.js';
import { proofsExpireAt, provenDevice, type Proof, type ProvenDevice } from './proofs.js';

export interface DeviceStandings {
  standing(deviceId: string, serial: string): Promise<DeviceStanding>;
}

/** Whether a passkey proven at sign-in still stands, and the device it proves now (device-bound ones). */
export interface PasskeyStandings {
  standing(passkeyId: string): Promise<{ ok: true; device?: ProvenDevice } | { ok: false; reason: string }>;
}

export interface SessionProofs {
  proofs: Proof[];
  /** Devices proven at sign-in that no longer stand: why. */
  lapsed: string[];
}

export class SessionProofService {
  constructor(
    private readonly store: SessionProofRepository,
    private readonly devices: DeviceStandings,
    private readonly sessionTtlSeconds: number,
    private readonly passkeys?: PasskeyStandings,
  ) {}

  /** Records what session `sessionUid` of `accountId` proved (replacing what it proved before). */
  async save(sessionUid: string, accountId: string, proofs: readonly Proof[]): Promise<void> {
    await this.store.save({
      sessionUid,
      accountId,
      deviceId: provenDevice(proofs)?.id ?? null,
      proofs: [...proofs],
      expiresAt: Date.now() + this.sessionTtlSeconds * 1000,
    });
  }

  /** The proofs of session `sessionUid` of `accountId` that still hold at `now`. */
  async current(sessionUid: string | undefined, accountId: string, now: EpochSeconds): Promise<SessionProofs> {
    if (!sessionUid) return { proofs: [], lapsed: [] };
    const record = await this.store.find(sessionUid);
    if (!record || record.accountId !== accountId) return { proofs: [], lapsed: [] };
    return this.recheck(record.proofs as Proof[], now);
  }

  /** Drops expired proofs and device proofs whose device no longer stands. */
  async recheck(proofs: readonly Proof[], at: EpochSeconds): Promise<SessionProofs> {
    const kept: Proof[] = [];
    const lapsed: string[] = [];
    for (const proof of proofs) {
      if (proof.expiresAt !== undefined && proof.expiresAt <= at) {
        lapsed.push(`the ${proof.method.replace(/_/g, ' ')} proven at sign-in has expired`);
        continue;
      }
      const passkeyId = proof.detail?.passkey;
      if (this.passkeys && typeof passkeyId === 'string') {
        // A deleted, revoked or expired passkey no longer counts; nor does a device-bound one whose device
        // stopped standing (revoked, owner disabled, distribution off).
        const standing = await this.passkeys.standing(passkeyId);
        if (!standing.ok || (proof.device && !standing.device)) {
          lapsed.push(standing.ok ? 'the device of the passkey proven at sign-in no longer stands' : standing.reason);
          continue;
        }
        kept.push(proof.device && standing.device ? { ...proof, device: standing.device } : proof);
        continue;
      }
      const device = proof.device;
      if (device?.certificateSerial) {
        const standing = await this.devices.standing(device.id, device.certificateSerial);
        if (!standing.ok) {
          lapsed.push(standing.reason);
          continue;
        }
        // The device as it stands now: its posture (integrity, OS version) may have changed since sign-in.
        const now = standing.device;
        const certificateEnds = Math.floor(standing.notAfter.getTime() / 1000);
        kept.push({
          ...proof,
          expiresAt: Math.min(proof.expiresAt ?? certificateEnds, certificateEnds),
          device: {
            ...device,
            trust: now.compliant ? 'trusted' : 'managed',
            compliant: now.compliant,
            managed: now.managed,
            integrity: now.integrity,
            osVersion: now.osVersion ?? undefined,
          },
        });
        continue;
      }
      kept.push(proof);
    }
    return { proofs: kept, lapsed };
  }

  /** oidc-provider's SessionGuard: a sign-in landed in session `sessionUid`; keep what it proved. */
  async signedIn(sessionUid: string, accountId: string, proven: unknown): Promise<void> {
    const proofs = (proven as { proofs?: unknown } | undefined)?.proofs;
    if (Array.isArray(proofs)) await this.save(sessionUid, accountId, proofs as Proof[]);
  }

  /**
   * oidc-provider's SessionGuard: a token of session `sessionUid` may be used while everything its
   * sign-in proved still holds, and new tokens must not outlive the earliest proof's expiry. Sessions with
   * nothing recorded (client credentials have none) are not restricted.
   */
  async tokenStanding(sessionUid: string, accountId: string): Promise<{ usable: boolean; expiresAt?: number }> {
    const record = await this.store.find(sessionUid);
    if (!record) return { usable: true };
    if (record.accountId !== accountId) return { usable: false };
    const { proofs, lapsed } = await this.recheck(record.proofs as Proof[], Math.floor(Date.now() / 1000));
    return lapsed.length ? { usable: false } : { usable: true, expiresAt: proofsExpireAt(proofs) };
  }

  /** Sessions that proved `deviceId` (to end them when the device is revoked). */
  sessionsOfDevice(deviceId: string): Promise<string[]> {
    return this.store.sessionsOfDevice(deviceId);
  }

  forget(sessionUids: readonly string[]): Promise<void> {
    return this.store.remove(sessionUids);
  }
}
