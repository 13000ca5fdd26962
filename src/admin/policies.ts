// Policy administration: read the set in force, validate a draft, publish it (every node applies it within
// cluster.poll_seconds, and the answer says how many did), switch one policy between enabled, report-only
// and disabled. A draft that does not parse is refused with every problem and changes nothing; the set in
// force stays. Publishing can be made conditional on the version the editor started from, so two admins
// editing at once do not overwrite each other unseen (the store checks and publishes in one transaction).
import { isMap, isSeq, parseDocument } from 'yaml';
import { InvalidInputError, NotFoundError } from '../errors.js';
import {
  BUILT_IN_POLICIES,
  BUILT_IN_SOURCE,
  parsePolicyText,
  type PolicySetStore,
} from '../interactions/policy-source.js';
import {
  POLICY_STATES,
  summarisePolicySet,
  type PolicyFileIssue,
  type PolicySet,
  type PolicyState,
} from '../policies/index.js';
import { liveWindowMs, type NodeRecord } from '../store/cluster.js';
import { recordChange, type AdminOrigin, type AuditPort } from './context.js';

export interface PolicyAdminDeps {
  policySets: PolicySetStore;
  nodes: { live(since: number): Promise<NodeRecord[]> };
  audit: AuditPort;
  pollSeconds: number;
  now: () => number;
}

/** The set in force: its text and where it came from (version 0: the built-in set, nothing published). */
export interface PolicySetView {
  version: number;
  source: string;
  text: string;
  policies: number;
  publishedAt: number | null;
  publishedBy: string | null;
}

export type DraftCheck =
  { ok: true; policySet: PolicySet; summary: string } | { ok: false; issues: readonly PolicyFileIssue[] };

/** How far a published version has spread: live nodes, those that applied it, those not yet. */
export interface Rollout {
  live: number;
  applied: number;
  pending: string[];
}

export interface Published {
  version: number;
  changed: boolean;
  policies: number;
  rollout: Rollout;
}

/** What a draft's problems name as their file (it was sent, not read from a file). */
const DRAFT_SOURCE = 'draft';
/** Largest policy text accepted (a generous multiple of the biggest real sets). */
export const MAX_POLICY_TEXT = 256 * 1024;

export class PolicyAdmin {
  constructor(private readonly deps: PolicyAdminDeps) {}

  async current(): Promise<PolicySetView> {
    const latest = await this.deps.policySets.latest();
    if (!latest) {
      return {
        version: 0,
        source: BUILT_IN_SOURCE,
        text: BUILT_IN_POLICIES,
        policies: 0,
        publishedAt: null,
        publishedBy: null,
      };
    }
    return {
      version: latest.version,
      source: latest.source,
      text: latest.text,
      policies: latest.policies,
      publishedAt: latest.publishedAt,
      publishedBy: latest.publishedBy,
    };
  }

  /** Parses a draft without side effects: the parsed set and a summary, or every problem with its position. */
  check(text: string): DraftCheck {
    if (text.length > MAX_POLICY_TEXT)
      throw new InvalidInputError('ERR_POLICY_TOO_LARGE', `a policy set is at most ${MAX_POLICY_TEXT} characters`);
    const read = parsePolicyText(text, DRAFT_SOURCE);
    return read.ok
      ? { ok: true, policySet: read.policySet, summary: summarisePolicySet(read.policySet) }
      : { ok: false, issues: read.issues };
  }

  /** The parsed draft (for a what-if preview), or ERR_POLICY_INVALID with every problem in `issues`. */
  parse(text: string): PolicySet {
    const checked = this.check(text);
    if (!checked.ok) throw invalidDraft(checked.issues);
    return checked.policySet;
  }

  /**
   * Publishes `text` as the set in force on every node, if it parses (else ERR_POLICY_INVALID with the
   * issues, nothing published). With `expectedVersion`, refuses (ERR_POLICY_CHANGED) when another version
   * was published meanwhile.
   */
  async publish(text: string, origin: AdminOrigin, options: { expectedVersion?: number } = {}): Promise<Published> {
    const checked = this.check(text);
    if (!checked.ok) {
      await recordChange(
        this.deps.audit,
        origin,
        'admin.policy.publish',
        { reasons: checked.issues.map((i) => i.message).slice(0, 20) },
        'failure',
      );
      throw invalidDraft(checked.issues);
    }
    const policies = checked.policySet.policies.length;
    const { version, changed } = await this.deps.policySets.publish({
      text,
      source: `admin (${origin.actor})`,
      policies,
      by: origin.actor,
      expectedVersion: options.expectedVersion,
    });
    await recordChange(this.deps.audit, origin, 'admin.policy.publish', {
      reasons: [changed ? `published version ${version}` : `version ${version} already has this text`],
      detail: { version, policies },
    });
    return { version, changed, policies, rollout: await this.waitForNodes(version) };
  }

  /** Switches policy `name` of the set in force to `state` (enabled, report-only, disabled) and publishes it. */
  async setState(name: string, state: string, origin: AdminOrigin): Promise<Published> {
    if (!(POLICY_STATES as readonly string[]).includes(state))
      throw new InvalidInputError(
        'ERR_POLICY_STATE',
        `a policy state is one of ${POLICY_STATES.join(', ')}, not "${state}"`,
      );
    const current = await this.current();
    return this.publish(withPolicyState(current.text, name, state as PolicyState), origin, {
      expectedVersion: current.version,
    });
  }

  /** Waits (up to three polls) until every live node applied `version`; says how many did. */
  async waitForNodes(version: number): Promise<Rollout> {
    const pollMs = this.deps.pollSeconds * 1000;
    const deadline = this.deps.now() + 3 * pollMs + 1000;
    for (;;) {
      const nodes = await this.deps.nodes.live(this.deps.now() - liveWindowMs(this.deps.pollSeconds));
      const applied = nodes.filter((node) => (node.policyVersion ?? 0) >= version);
      if (nodes.length === 0 || applied.length === nodes.length || this.deps.now() > deadline) {
        const pending = nodes.filter((node) => !applied.includes(node)).map((node) => `${node.hostname}/${node.pid}`);
        return { live: nodes.length, applied: applied.length, pending };
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, 500)));
    }
  }
}

/** The refusal of a draft that does not parse, with every problem (shown by the API and the console). */
function invalidDraft(issues: readonly PolicyFileIssue[]): InvalidInputError {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return new InvalidInputError('ERR_POLICY_INVALID', `the policy set has ${count}: nothing was published`, { issues });
}

/** Rollout in words, as the CLI prints it. */
export function describeRollout(rollout: Rollout): string {
  if (rollout.live === 0) return 'no running node is registered: nodes apply it when they start';
  return `applied by ${rollout.applied} of ${rollout.live} live node(s)${rollout.pending.length ? `; not yet: ${rollout.pending.join(', ')}` : ''}`;
}

/** `text` with policy `name`'s state set, comments and layout kept (NotFoundError when there is none). */
export function withPolicyState(text: string, name: string, state: PolicyState): string {
  const document = parseDocument(text);
  const policies = document.get('policies');
  const policy = isSeq(policies) ? policies.items.find((item) => isMap(item) && item.get('name') === name) : undefined;
  if (!isMap(policy)) throw new NotFoundError('ERR_POLICY_NOT_FOUND', `the set in force has no policy named "${name}"`);
  policy.set('state', state);
  return document.toString();
}
