// Rows that nearly every request reads (a client's metadata, a user and their groups), kept on this node
// while the database says nothing changed. Triggers (migration 008) bump a revision per cached name with
// every insert, update and delete, whoever makes it (another node, the CLI, an operator's own SQL); a node
// reads the revision at most once per `revalidateMs` (one query shared by all lookups then in flight), and
// at once after a write of its own. A change therefore reaches every node within revalidateMs. A failed
// revision read fails the lookup: the cache never answers when it cannot tell that it is current.
import type { Database } from './database.js';

export interface RevisionCacheOptions {
  /** How long a revision read stays current, in ms; 0 turns the cache off (every lookup reads the row). */
  revalidateMs: number;
  /** Entries kept; the oldest goes first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  revision: number;
}

/** Reads the revision of `name` from cache_revisions. */
export function revisionOf(db: Database, name: string): () => Promise<number> {
  return async () => {
    const row = (await db('cache_revisions').where({ name }).first('revision')) as { revision: unknown } | undefined;
    if (!row) throw new Error(`cache_revisions has no row for ${name}: migration 008 did not run`);
    return Number(row.revision);
  };
}

export class RevisionCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private confirmed: { revision: number; at: number } | undefined;
  private checking: Promise<number> | undefined;
  /** Bumped by invalidate(): reads and loads begun before it must not fill the cache after it. */
  private epoch = 0;
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(
    private readonly readRevision: () => Promise<number>,
    private readonly options: RevisionCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /**
   * The value for `key`: cached when it was loaded under the revision now current, else `load()`ed (after
   * the revision was read, so that a change committed meanwhile makes the next revision read drop it).
   */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    if (this.options.revalidateMs <= 0) return load();
    const epoch = this.epoch;
    const revision = await this.currentRevision();
    const hit = this.entries.get(key);
    if (hit && hit.revision === revision) return hit.value;
    const value = await load();
    if (epoch === this.epoch) this.remember(key, { value, revision });
    return value;
  }

  /** After this node changed a cached table: forget everything and read the revision again. */
  invalidate(): void {
    this.epoch += 1;
    this.entries.clear();
    this.confirmed = undefined;
    this.checking = undefined;
  }

  private remember(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
  }

  private currentRevision(): Promise<number> {
    const startedAt = this.now();
    if (this.confirmed && startedAt - this.confirmed.at < this.options.revalidateMs) {
      return Promise.resolve(this.confirmed.revision);
    }
    if (this.checking) return this.checking;
    const epoch = this.epoch;
    const checking = this.readRevision().then(
      (revision) => {
        if (epoch === this.epoch) {
          if (this.confirmed && this.confirmed.revision !== revision) this.entries.clear();
          // Counted from when the read began: nothing committed before then can be missed.
          this.confirmed = { revision, at: startedAt };
          if (this.checking === checking) this.checking = undefined;
        }
        return revision;
      },
      (error: unknown) => {
        if (this.checking === checking) this.checking = undefined;
        throw error;
      },
    );
    this.checking = checking;
    return checking;
  }
}
