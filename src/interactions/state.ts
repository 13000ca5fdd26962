// Progress of one sign-in interaction: who has been identified, what has been proven, which methods ran to
// no avail (and why), and how often each redirecting method was started (so a hand-off that keeps failing
// settles instead of looping). Kept beside oidc-provider's Interaction in the same store (SQL or Redis) with
// the same lifetime.
import type { Adapter } from 'oidc-provider';
import type { MethodName } from '../policies/index.js';
import type { Proof } from './proofs.js';

export interface InteractionState {
  userId?: string;
  proofs: Proof[];
  /** Method → why it proved nothing (it is not offered again in this sign-in). */
  settled: Partial<Record<MethodName, string>>;
  /** Method → how many times it was started in this sign-in. */
  starts: Partial<Record<MethodName, number>>;
}

export function emptyState(): InteractionState {
  return { proofs: [], settled: {}, starts: {} };
}

export class InteractionStates {
  constructor(
    private readonly adapter: Adapter,
    private readonly ttlSeconds: number,
  ) {}

  async load(uid: string): Promise<InteractionState> {
    const stored = (await this.adapter.find(uid)) as { state?: Partial<InteractionState> } | undefined;
    return { ...emptyState(), ...stored?.state };
  }

  async save(uid: string, state: InteractionState): Promise<void> {
    await this.adapter.upsert(uid, { state } as never, this.ttlSeconds);
  }

  async clear(uid: string): Promise<void> {
    await this.adapter.destroy(uid);
  }
}
