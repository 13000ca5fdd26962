// Progress of one sign-in interaction (who has been identified, which methods succeeded and when),
// kept beside oidc-provider's Interaction in the same store (SQL or Redis) with the same lifetime.
import type { Adapter } from 'oidc-provider';
import type { MethodName } from '../oidc/acr.js';

export interface InteractionState {
  userId?: string;
  /** Method → epoch seconds it succeeded in this interaction (or, for step-up, in the session). */
  methods: Partial<Record<MethodName, number>>;
}

export class InteractionStates {
  constructor(
    private readonly adapter: Adapter,
    private readonly ttlSeconds: number,
  ) {}

  async load(uid: string): Promise<InteractionState> {
    const stored = (await this.adapter.find(uid)) as { state?: InteractionState } | undefined;
    return stored?.state ?? { methods: {} };
  }

  async save(uid: string, state: InteractionState): Promise<void> {
    await this.adapter.upsert(uid, { state } as never, this.ttlSeconds);
  }

  async clear(uid: string): Promise<void> {
    await this.adapter.destroy(uid);
  }
}
