// A benchmark scenario: one kind of request sequence, prepared once per target and then timed.
import type { RelyingParty } from '../../test/helpers/rp.js';
import { relyingParty } from '../../test/helpers/rp.js';
import type { LatchkeyTarget } from './latchkey.js';
import type { Operation } from './measure.js';
import type { ClientCredentials, Target } from './target.js';

/** A scenario the bare oidc-provider can run too: measured on Latchkey and on both baselines. */
export interface SharedScenario {
  kind: 'shared';
  /** Short stable name, used in the table and the JSON result. */
  name: string;
  /** Prepares the timed operation against `target` (sign-ins, discovery: untimed). */
  prepare(target: Target, workers: number): Promise<Operation>;
}

/**
 * A scenario only Latchkey has (a device check, a passkey, a second factor): measured on Latchkey alone,
 * its ratio taken against `comparedWith`, the shared scenario whose baseline run is the nearest protocol
 * equivalent, or none (enrollment: the bare provider has nothing comparable).
 */
export interface LatchkeyScenario {
  kind: 'latchkey';
  name: string;
  comparedWith: string | null;
  prepare(target: LatchkeyTarget, workers: number): Promise<Operation>;
}

export type Scenario = SharedScenario | LatchkeyScenario;

/** openid-client as the relying party of `target`. */
export function relyingPartyOf(target: Target, client: ClientCredentials): Promise<RelyingParty> {
  return relyingParty(target, client.clientId, client.clientSecret);
}
