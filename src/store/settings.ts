// Small named settings that every node shares (e.g. certificate distribution on/off), as JSON values.
// Read on every device check: kept per node while the `settings` revision is unchanged (revision-cache.ts).
import type { Database } from './database.js';
import { RevisionCache, revisionOf, type RevisionCacheOptions } from './revision-cache.js';

/** The stored JSON of each setting this node has read; follows the `settings` revision. */
export function settingsCache(db: Database, options: RevisionCacheOptions): RevisionCache<string | undefined> {
  return new RevisionCache(revisionOf(db, 'settings'), options);
}

export class SettingsRepository {
  constructor(
    private readonly db: Database,
    private readonly cache?: RevisionCache<string | undefined>,
  ) {}

  async get<T>(key: string, fallback: T): Promise<T> {
    const load = async () =>
      (await this.db('settings').where({ key }).first<{ value: string } | undefined>('value'))?.value;
    const value = await (this.cache ? this.cache.get(key, load) : load());
    return value === undefined ? fallback : (JSON.parse(value) as T);
  }

  async set(key: string, value: unknown, updatedBy: string | null = null): Promise<void> {
    try {
      await this.db('settings')
        .insert({ key, value: JSON.stringify(value), updated_at: Date.now(), updated_by: updatedBy })
        .onConflict('key')
        .merge();
    } finally {
      this.cache?.invalidate();
    }
  }
}
