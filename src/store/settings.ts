// Small named settings that every node shares (e.g. certificate distribution on/off), as JSON values.
import type { Database } from './database.js';

export class SettingsRepository {
  constructor(private readonly db: Database) {}

  async get<T>(key: string, fallback: T): Promise<T> {
    const row = await this.db('settings').where({ key }).first<{ value: string } | undefined>('value');
    return row ? (JSON.parse(row.value) as T) : fallback;
  }

  async set(key: string, value: unknown, updatedBy: string | null = null): Promise<void> {
    await this.db('settings')
      .insert({ key, value: JSON.stringify(value), updated_at: Date.now(), updated_by: updatedBy })
      .onConflict('key')
      .merge();
  }
}
