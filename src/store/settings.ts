// Small named settings that every node shares (e.g. certificate distribution on/off), as JSON values.
// Read on every device check and never cached: the distribution switch is a kill switch, in force on
// every node the moment it is stored (one primary-key read per check).
import type { Database } from './database.js';

export class SettingsRepository {
  constructor(private readonly db: Database) {}

  async get<T>(key: string, fallback: T): Promise<T> {
    const row = await this.db('settings').where({ key }).first<{ value: string } | undefined>('value');
    return row === undefined ? fallback : (JSON.parse(row.value) as T);
  }

  async set(key: string, value: unknown, updatedBy: string | null = null): Promise<void> {
    await this.db('settings')
      .insert({ key, value: JSON.stringify(value), updated_at: Date.now(), updated_by: updatedBy })
      .onConflict('key')
      .merge();
  }
}
