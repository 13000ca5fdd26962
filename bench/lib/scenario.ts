// A benchmark scenario: one kind of request sequence, prepared once per target and then timed.
import type { RelyingParty } from '../../test/helpers/rp.js';
import { relyingParty } from '../../test/helpers/rp.js';
import type { Operation } from './measure.js';
import type { ClientCredentials, Target } from './target.js';

export interface Scenario {
  /** Short stable name, used in the table and the JSON result. */
  name: string;
  /** Prepares the timed operation against `target` (sign-ins, discovery: untimed). */
  prepare(target: Target, workers: number): Promise<Operation>;
  /**
   * For Latchkey-only scenarios (device check, passkey: the bare provider has no such step): the name of
   * the scenario whose baseline run is the reference, or null when nothing in the baseline compares (device
   * certificate issuance): then only Latchkey's throughput is reported, without a ratio. Unset: this
   * scenario runs on the baseline too.
   */
  baselineFrom?: string | null;
}

/** openid-client as the relying party of `target`. */
export function relyingPartyOf(target: Target, client: ClientCredentials): Promise<RelyingParty> {
  return relyingParty(target, client.clientId, client.clientSecret);
}
