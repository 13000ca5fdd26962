// Users and groups in SQL. Usernames are stored lower-case and matched case-insensitively.
import { randomUUID } from 'node:crypto';
import { unicodeLower, type Database } from './database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isForeignKeyViolation, uniquely } from './constraints.js';
import { decodeCursor, pageOf, pageSize, type Page, type PageRequest } from './pages.js';
import { RevisionCache, revisionOf, type RevisionCacheOptions } from './revision-cache.js';

export interface User {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  passwordHash: string | null;
  totpSecretSealed: string | null;
  totpEnrolledAt: number | null;
  totpLastStep: number | null;
  disabled: boolean;
  sessionsRevokedAt: number | null;
  createdAt: number;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
}

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  password_hash: string | null;
  totp_secret_sealed: string | null;
  totp_enrolled_at: number | null;
  totp_last_step: number | null;
  disabled: boolean | number;
  sessions_revoked_at: number | null;
  created_at: number;
}

/** A LIKE pattern matching text that contains `value` literally (its % _ and \\ escaped). */
function containing(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    totpSecretSealed: row.totp_secret_sealed,
    totpEnrolledAt: row.totp_enrolled_at === null ? null : Number(row.totp_enrolled_at),
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    disabled: Boolean(row.disabled),
    sessionsRevokedAt: row.sessions_revoked_at === null ? null : Number(row.sessions_revoked_at),
    createdAt: Number(row.created_at),
  };
}

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

const USERNAME = /^[a-z0-9][a-z0-9._@+-]{0,254}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The users and group memberships this node keeps between requests (src/store/revision-cache.ts): both
 * follow the `users` revision, which every change of users, groups or group_members bumps.
 */
export class UserCache {
  readonly rows: RevisionCache<UserRow | undefined>;
  readonly groups: RevisionCache<readonly string[]>;

  constructor(db: Database, options: RevisionCacheOptions) {
    const revision = revisionOf(db, 'users');
    this.rows = new RevisionCache(revision, options);
    this.groups = new RevisionCache(revision, options);
  }

  /** After a write of this node's own. */
  invalidate(): void {
    this.rows.invalidate();
    this.groups.invalidate();
  }
}

/** Awaits a write, then forgets what `cache` held (the triggers tell the other nodes). */
async function written<T>(cache: UserCache | undefined, write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } finally {
    cache?.invalidate();
  }
}

export class UserRepository {
  constructor(
    private readonly db: Database,
    private readonly cache?: UserCache,
  ) {}

  /** Creates a user; username must be unique (case-insensitive), email too when given. */
  async create(input: {
    username: string;
    email?: string | null;
    name?: string | null;
    passwordHash?: string | null;
  }): Promise<User> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username)) {
      throw new ConflictError(
        'ERR_USERNAME_INVALID',
        `username "${input.username}" may only contain letters, digits and . _ @ + -`,
      );
    }
    const email = input.email ? input.email.trim().toLowerCase() : null;
    if (email !== null && !EMAIL.test(email)) {
      throw new ConflictError('ERR_EMAIL_INVALID', `"${input.email}" is not an email address`);
    }
    if (await this.findByUsername(username)) {
      throw new ConflictError('ERR_USER_EXISTS', `a user named "${username}" already exists`);
    }
    if (email && (await this.db('users').where({ email }).orWhere({ username: email }).first())) {
      throw new ConflictError('ERR_EMAIL_EXISTS', `another user already has ${email} as email or username`);
    }
    // A username equal to another user's email would give two users the same preferred_username
    // (federating IdPs match on it) and make sign-in by email ambiguous.
    if (username.includes('@') && (await this.db('users').where({ email: username }).first())) {
      throw new ConflictError('ERR_USERNAME_IS_EMAIL', `another user already has the email ${username}`);
    }
    const now = Date.now();
    const row = {
      id: randomUUID(),
      username,
      email,
      name: input.name ?? null,
      password_hash: input.passwordHash ?? null,
      disabled: false,
      created_at: now,
      updated_at: now,
    };
    // The checks above answer the usual case; of parallel creations the unique keys decide.
    await uniquely(written(this.cache, this.db('users').insert(row)), async () =>
      (await this.findByUsername(username))
        ? new ConflictError('ERR_USER_EXISTS', `a user named "${username}" already exists`)
        : new ConflictError('ERR_EMAIL_EXISTS', `another user already has ${email} as email or username`),
    );
    return (await this.findById(row.id))!;
  }

  /** Changes a user's email and/or display name (null clears); the email stays unique as in create. */
  async update(id: string, changes: { email?: string | null; name?: string | null }): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundError('ERR_USER_NOT_FOUND', `no user with id "${id}"`);
    const row: Record<string, unknown> = { updated_at: Date.now() };
    if (changes.email !== undefined) {
      const email = changes.email ? changes.email.trim().toLowerCase() : null;
      if (email !== null && !EMAIL.test(email)) {
        throw new ConflictError('ERR_EMAIL_INVALID', `"${changes.email}" is not an email address`);
      }
      if (
        email &&
        (await this.db('users')
          .whereNot({ id })
          .andWhere((q) => q.where({ email }).orWhere({ username: email }))
          .first())
      ) {
        throw new ConflictError('ERR_EMAIL_EXISTS', `another user already has ${email} as email or username`);
      }
      row.email = email;
    }
    if (changes.name !== undefined) row.name = changes.name;
    await uniquely(
      written(this.cache, this.db('users').where({ id }).update(row)),
      () => new ConflictError('ERR_EMAIL_EXISTS', `another user already has ${String(row.email)} as email or username`),
    );
    return (await this.findById(id))!;
  }

  async findById(id: string): Promise<User | undefined> {
    const load = () => this.db<UserRow>('users').where({ id }).first();
    const row = await (this.cache ? this.cache.rows.get(id, load) : load());
    return row ? toUser(row) : undefined;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users')
      .where({ username: normalizeUsername(username) })
      .first();
    return row ? toUser(row) : undefined;
  }

  /** Finds by username, or by email when the input contains "@" and no username matches. */
  async findByLogin(login: string): Promise<User | undefined> {
    const byName = await this.findByUsername(login);
    if (byName || !login.includes('@')) return byName;
    const row = await this.db<UserRow>('users').where({ email: login.trim().toLowerCase() }).first();
    return row ? toUser(row) : undefined;
  }

  async require(username: string): Promise<User> {
    const user = await this.findByUsername(username);
    if (!user) throw new NotFoundError('ERR_USER_NOT_FOUND', `no user named "${username}"`);
    return user;
  }

  async list(): Promise<User[]> {
    const rows = await this.db<UserRow>('users').orderBy('username');
    return rows.map(toUser);
  }

  /** One page of users by username; `search` keeps those whose username, email or name contains it (any case). */
  async listPage(request: PageRequest & { search?: string }): Promise<Page<User>> {
    const size = pageSize(request);
    const q = this.db<UserRow>('users')
      .orderBy('username')
      .limit(size + 1);
    if (request.after !== undefined) q.where('username', '>', decodeCursor(request.after, 'users', [''])[0]);
    if (request.search) {
      const pattern = containing(request.search.toLowerCase());
      q.where((w) =>
        w
          .whereRaw(`username like ? escape '\\'`, [pattern])
          .orWhereRaw(`email like ? escape '\\'`, [pattern])
          .orWhereRaw(`${unicodeLower(this.db)}(name) like ? escape '\\'`, [pattern]),
      );
    }
    return pageOf((await q).map(toUser), size, 'users', (user) => [user.username]);
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await written(this.cache, this.db('users').where({ id }).update({ disabled, updated_at: Date.now() }));
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await written(
      this.cache,
      this.db('users').where({ id }).update({ password_hash: passwordHash, updated_at: Date.now() }),
    );
  }

  async setTotp(id: string, secretSealed: string | null): Promise<void> {
    await written(
      this.cache,
      this.db('users')
        .where({ id })
        .update({
          totp_secret_sealed: secretSealed,
          totp_enrolled_at: secretSealed ? Date.now() : null,
          totp_last_step: null,
          updated_at: Date.now(),
        }),
    );
  }

  /**
   * Records that TOTP step `step` was used, atomically refusing a step already used (two concurrent
   * submissions of the same code: exactly one wins).
   */
  async claimTotpStep(id: string, step: number): Promise<boolean> {
    // Not a cache change (migration 008 leaves totp_last_step out of the revision): a cached user's older
    // step only lets a replayed code reach this claim, which refuses it.
    const updated = await this.db('users')
      .where({ id })
      .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
      .update({ totp_last_step: step });
    return updated === 1;
  }

  async markSessionsRevoked(id: string, at: number): Promise<void> {
    await written(this.cache, this.db('users').where({ id }).update({ sessions_revoked_at: at, updated_at: at }));
  }

  /** Attributes an administrator set on the user (what other IdPs know them by), name → value. */
  async attributes(userId: string): Promise<Record<string, string>> {
    const rows = await this.db('user_attributes')
      .where({ user_id: userId })
      .orderBy('name')
      .select<{ name: string; value: string }[]>('name', 'value');
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  }

  /** Sets attribute `name` (null removes it); a value another user already has for it is refused. */
  async setAttribute(userId: string, name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db('user_attributes').where({ user_id: userId, name }).delete();
      return;
    }
    const holder = await this.db('user_attributes').where({ name, value }).first<{ user_id: string } | undefined>();
    if (holder && holder.user_id !== userId) {
      throw new ConflictError('ERR_ATTRIBUTE_TAKEN', `another user already has ${name} = "${value}"`);
    }
    await uniquely(
      this.db('user_attributes')
        .insert({ user_id: userId, name, value })
        .onConflict(['user_id', 'name'])
        .merge(['value']),
      () => new ConflictError('ERR_ATTRIBUTE_TAKEN', `another user already has ${name} = "${value}"`),
    );
  }

  /** The user whose attribute `name` is `value`. */
  async findByAttribute(name: string, value: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users')
      .join('user_attributes', 'user_attributes.user_id', 'users.id')
      .where({ 'user_attributes.name': name, 'user_attributes.value': value })
      .first('users.*');
    return row ? toUser(row) : undefined;
  }

  /** The user whose email is `email` (case-insensitively). */
  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ email: email.trim().toLowerCase() }).first();
    return row ? toUser(row) : undefined;
  }

  async groupNames(userId: string): Promise<string[]> {
    const load = async () => {
      const rows = await this.db('group_members')
        .join('groups', 'groups.id', 'group_members.group_id')
        .where('group_members.user_id', userId)
        .orderBy('groups.name')
        .select<{ name: string }[]>('groups.name');
      return rows.map((row) => row.name);
    };
    return [...(await (this.cache ? this.cache.groups.get(userId, load) : load()))];
  }
}

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,254}$/;

export class GroupRepository {
  constructor(
    private readonly db: Database,
    private readonly cache?: UserCache,
  ) {}

  async create(name: string, description: string | null = null): Promise<Group> {
    if (!GROUP_NAME.test(name)) {
      throw new ConflictError(
        'ERR_GROUP_NAME_INVALID',
        `group name "${name}" may only contain letters, digits, spaces and . _ -`,
      );
    }
    if (await this.find(name)) throw new ConflictError('ERR_GROUP_EXISTS', `a group named "${name}" already exists`);
    const group = { id: randomUUID(), name, description };
    await uniquely(
      written(this.cache, this.db('groups').insert({ ...group, created_at: Date.now() })),
      () => new ConflictError('ERR_GROUP_EXISTS', `a group named "${name}" already exists`),
    );
    return group;
  }

  async find(name: string): Promise<Group | undefined> {
    return this.db('groups').where({ name }).first('id', 'name', 'description');
  }

  async require(name: string): Promise<Group> {
    const group = await this.find(name);
    if (!group) throw new NotFoundError('ERR_GROUP_NOT_FOUND', `no group named "${name}"`);
    return group;
  }

  async list(): Promise<Array<Group & { members: number }>> {
    const rows = await this.db('groups')
      .leftJoin('group_members', 'groups.id', 'group_members.group_id')
      .groupBy('groups.id', 'groups.name', 'groups.description')
      .orderBy('groups.name')
      .select('groups.id', 'groups.name', 'groups.description')
      .count<Array<Group & { members: number | string }>>({ members: 'group_members.user_id' });
    return rows.map((row) => ({ ...row, members: Number(row.members) }));
  }

  async remove(name: string): Promise<void> {
    const group = await this.require(name);
    const removed = await written(
      this.cache,
      this.db.transaction(async (trx): Promise<number> => {
        await trx('group_members').where({ group_id: group.id }).delete();
        return trx('groups').where({ id: group.id }).delete();
      }),
    );
    // Removed meanwhile by a parallel request: the same answer as a sequential second removal.
    if (removed === 0) throw new NotFoundError('ERR_GROUP_NOT_FOUND', `no group named "${name}"`);
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    try {
      await written(
        this.cache,
        this.db('group_members')
          .insert({ group_id: groupId, user_id: userId })
          .onConflict(['group_id', 'user_id'])
          .ignore(),
      );
    } catch (error) {
      // The group (or user) was removed after it was looked up.
      if (isForeignKeyViolation(error))
        throw new NotFoundError('ERR_GROUP_NOT_FOUND', 'the group or user no longer exists');
      throw error;
    }
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await written(this.cache, this.db('group_members').where({ group_id: groupId, user_id: userId }).delete());
  }

  async members(groupId: string): Promise<string[]> {
    const rows = await this.db('group_members')
      .join('users', 'users.id', 'group_members.user_id')
      .where('group_members.group_id', groupId)
      .orderBy('users.username')
      .select<{ username: string }[]>('users.username');
    return rows.map((row) => row.username);
  }
}
