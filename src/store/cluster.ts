// What the nodes of a cluster share through the database: the published policy sets (the newest is in
// force everywhere) and each node's record of what it has applied, so an operator can see that a change
// reached every node. Nodes poll these tables (cluster.poll_seconds).
import { createHash } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { isSqlite, type Database } from './database.js';

export interface PublishedPolicySet {
  version: number;
  text: string;
  source: string;
  sha256: string;
  policies: number;
  publishedAt: number;
  publishedBy: string | null;
}

export interface NodeRecord {
  id: string;
  hostname: string;
  pid: number;
  startedAt: number;
  seenAt: number;
  policyVersion: number | null;
  keysFingerprint: string | null;
}

interface PolicySetRow {
  version: number;
  text: string;
  source: string;
  sha256: string;
  policies: number;
  published_at: number;
  published_by: string | null;
}

/** How long a node may go unseen before the others stop counting it as live. */
export function liveWindowMs(pollSeconds: number): number {
  return Math.max(3 * pollSeconds * 1000, 15_000);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toPolicySet(row: PolicySetRow): PublishedPolicySet {
  return {
    version: Number(row.version),
    text: row.text,
    source: row.source,
    sha256: row.sha256,
    policies: Number(row.policies),
    publishedAt: Number(row.published_at),
    publishedBy: row.published_by,
  };
}

export class PolicySetRepository {
  constructor(private readonly db: Database) {}

  /** The version in force (0 when nothing was ever published). */
  async latestVersion(): Promise<number> {
    const row = (await this.db('policy_sets').max({ version: 'version' }).first()) as { version?: unknown } | undefined;
    return Number(row?.version ?? 0);
  }

  async latest(): Promise<PublishedPolicySet | undefined> {
    const row = await this.db<PolicySetRow>('policy_sets').orderBy('version', 'desc').first();
    return row ? toPolicySet(row) : undefined;
  }

  /** True when exactly this text was published at some point (in force or not). */
  async wasPublished(text: string): Promise<boolean> {
    return (
      (await this.db('policy_sets')
        .where({ sha256: sha256Hex(text) })
        .first('version')) !== undefined
    );
  }

  /**
   * Publishes a validated policy file's text as the set in force; when the newest version already has this
   * text, nothing changes and that version is returned. With `expectedVersion`, publishes only if that is
   * still the newest version (ConflictError ERR_POLICY_CHANGED otherwise): the check and the insert are one
   * transaction holding the table's write lock, so of parallel edits from one version exactly one wins.
   */
  async publish(input: {
    text: string;
    source: string;
    policies: number;
    by: string | null;
    expectedVersion?: number;
  }): Promise<{
    version: number;
    changed: boolean;
  }> {
    const sha256 = sha256Hex(input.text);
    return this.db.transaction(async (trx) => {
      // SQLite transactions begin IMMEDIATE (database.ts), one writer at a time already; PostgreSQL needs the
      // lock for the version check.
      if (!isSqlite(this.db)) await trx.raw('LOCK TABLE policy_sets IN SHARE ROW EXCLUSIVE MODE');
      const row = await trx<PolicySetRow>('policy_sets').orderBy('version', 'desc').first();
      const latest = row ? toPolicySet(row) : undefined;
      if (input.expectedVersion !== undefined && (latest?.version ?? 0) !== input.expectedVersion) {
        throw new ConflictError(
          'ERR_POLICY_CHANGED',
          `version ${latest?.version ?? 0} was published after version ${input.expectedVersion} that this edit started from: reload and apply the change again`,
        );
      }
      if (latest?.sha256 === sha256) return { version: latest.version, changed: false };
      const [inserted] = await trx('policy_sets')
        .insert({
          text: input.text,
          source: input.source,
          sha256,
          policies: input.policies,
          published_at: Date.now(),
          published_by: input.by,
        })
        .returning('version');
      const version = typeof inserted === 'object' ? (inserted as { version: number }).version : inserted;
      return { version: Number(version), changed: true };
    });
  }
}

export class NodeRepository {
  constructor(private readonly db: Database) {}

  /** Records that node `id` is alive and what it has applied (insert or update). */
  async heartbeat(node: Omit<NodeRecord, 'seenAt'>, now = Date.now()): Promise<void> {
    await this.db('cluster_nodes')
      .insert({
        id: node.id,
        hostname: node.hostname,
        pid: node.pid,
        started_at: node.startedAt,
        seen_at: now,
        policy_version: node.policyVersion,
        keys_fingerprint: node.keysFingerprint,
      })
      .onConflict('id')
      .merge(['seen_at', 'policy_version', 'keys_fingerprint']);
  }

  /** Nodes seen since `since`, newest first. */
  async live(since: number): Promise<NodeRecord[]> {
    const rows = await this.db('cluster_nodes').where('seen_at', '>=', since).orderBy('started_at', 'desc');
    return rows.map((row: Record<string, unknown>) => ({
      id: String(row.id),
      hostname: String(row.hostname),
      pid: Number(row.pid),
      startedAt: Number(row.started_at),
      seenAt: Number(row.seen_at),
      policyVersion: row.policy_version === null ? null : Number(row.policy_version),
      keysFingerprint: (row.keys_fingerprint as string | null) ?? null,
    }));
  }

  /** A node that shut down leaves the list at once. */
  async remove(id: string): Promise<void> {
    await this.db('cluster_nodes').where({ id }).delete();
  }

  /** Forgets nodes not seen since `before`. */
  async forget(before: number): Promise<void> {
    await this.db('cluster_nodes').where('seen_at', '<', before).delete();
  }
}
