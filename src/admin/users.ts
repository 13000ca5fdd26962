// User administration: create, change, disable, credentials and sessions. Every change is audited with the
// caller as actor; disabling a user also ends their sessions. Passwords arrive in clear and are hashed
// here (argon2id, loaded on first use), so no caller stores a password it did not hash the same way.
import { InvalidInputError, NotFoundError } from '../errors.js';
import { ATTRIBUTE_NAME } from '../federation/user-fields.js';
import type { SealedBox } from '../crypto/sealed-box.js';
import type { GroupRepository, User, UserRepository } from '../store/users.js';
import type { Page, PageRequest } from '../store/pages.js';
import { ADMINS_SCOPE, recordChange, refuseEscalation, type AdminOrigin, type AuditPort } from './context.js';

export interface UserAdminDeps {
  users: UserRepository;
  groups: Pick<GroupRepository, 'list'>;
  audit: AuditPort;
  box: Pick<SealedBox, 'seal'>;
  /** Ends every session, grant and token of a user; returns how many artifacts were removed. */
  revokeSessions(userId: string): Promise<number>;
  /** The issuer's host, the label of TOTP secrets in authenticator apps. */
  issuerHost: string;
  /** The admin console's group (config admin.group): its members are changed only with latchkey.admins.manage. */
  adminGroup: string;
}

/** A user as administrators see it: no hashes or sealed secrets. */
export interface UserView {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  status: 'active' | 'disabled';
  hasPassword: boolean;
  totpEnrolledAt: number | null;
  groups: string[];
  attributes: Record<string, string>;
  createdAt: number;
}

export interface UserSummary {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  status: 'active' | 'disabled';
  totp: boolean;
  createdAt: number;
}

export interface NewUser {
  username: string;
  email?: string | null;
  name?: string | null;
  /** Clear text; absent: device-bound sign-in only. */
  password?: string | null;
}

export class UserAdmin {
  constructor(private readonly deps: UserAdminDeps) {}

  /**
   * `username` as someone `origin` may change: an administrator (a member of the admin group) only by a
   * caller holding latchkey.admins.manage, since their password, second factor, identifiers or a device
   * enrolled for them open the admin console (used by the device and SCEP routes too).
   */
  async changeable(username: string, origin: AdminOrigin): Promise<User> {
    return this.refuseAdministrator(await this.deps.users.require(username), origin);
  }

  /**
   * As changeable, for a username or an email (SCEP challenges name users either way); `doing` names the
   * change in a refusal ("a SCEP challenge for").
   */
  async changeableLogin(login: string, origin: AdminOrigin, doing = 'changing'): Promise<User> {
    const user = await this.deps.users.findByLogin(login);
    if (!user) throw new NotFoundError('ERR_USER_NOT_FOUND', `no user named "${login}"`);
    return this.refuseAdministrator(user, origin, doing);
  }

  private async refuseAdministrator(user: User, origin: AdminOrigin, doing = 'changing'): Promise<User> {
    if (origin.grants !== undefined && (await this.deps.users.groupNames(user.id)).includes(this.deps.adminGroup)) {
      refuseEscalation(origin, [ADMINS_SCOPE], `${doing} ${user.username}, a member of the admin group,`);
    }
    return user;
  }

  /** Every user, by username. */
  async list(): Promise<UserSummary[]> {
    return (await this.deps.users.list()).map(summary);
  }

  /** One page of users by username; `search` keeps those whose username, email or name contains it. */
  async page(request: PageRequest & { search?: string }): Promise<Page<UserSummary>> {
    if (request.search !== undefined && (request.search.length > 255 || /[\u0000-\u001f\u007f]/.test(request.search)))
      throw new InvalidInputError('ERR_USER_SEARCH', 'a user search is one line of at most 255 characters');
    const page = await this.deps.users.listPage(request);
    return { ...page, items: page.items.map(summary) };
  }

  /** One user with groups and attributes (NotFoundError ERR_USER_NOT_FOUND). */
  async show(username: string): Promise<UserView> {
    const user = await this.deps.users.require(username);
    return this.view(user);
  }

  async create(input: NewUser, origin: AdminOrigin): Promise<UserView> {
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    const user = await this.deps.users.create({ ...input, passwordHash });
    await recordChange(this.deps.audit, origin, 'admin.user.add', { userId: user.id, username: user.username });
    return this.view(user);
  }

  /** Changes email and/or display name (null clears). */
  async update(username: string, changes: { email?: string | null; name?: string | null }, origin: AdminOrigin) {
    const user = await this.changeable(username, origin);
    const updated = await this.deps.users.update(user.id, changes);
    await recordChange(this.deps.audit, origin, 'admin.user.update', {
      userId: user.id,
      username: user.username,
      reasons: Object.keys(changes).map((field) => `changed ${field}`),
    });
    return this.view(updated);
  }

  /** Sets (or, with null, removes) what another IdP knows the user by, e.g. entra_oid. */
  async setAttribute(username: string, name: string, value: string | null, origin: AdminOrigin): Promise<User> {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new InvalidInputError(
        'ERR_USAGE_ATTRIBUTE',
        `attribute names start with a letter, then letters, digits, _ - . (at most 64), not "${name}"`,
      );
    }
    if (value !== null && (value.length === 0 || value.length > 512 || /[\u0000-\u001f]/.test(value))) {
      throw new InvalidInputError(
        'ERR_USAGE_ATTRIBUTE',
        'an attribute value is 1 to 512 characters, without control characters',
      );
    }
    const user = await this.changeable(username, origin);
    await this.deps.users.setAttribute(user.id, name, value);
    await recordChange(this.deps.audit, origin, 'admin.user.attribute', {
      userId: user.id,
      username: user.username,
      reasons: [value === null ? `removed ${name}` : `set ${name}`],
    });
    return user;
  }

  /** Disables (ending every session) or enables a user. */
  async setDisabled(username: string, disabled: boolean, origin: AdminOrigin): Promise<User> {
    const user = await this.changeable(username, origin);
    await this.deps.users.setDisabled(user.id, disabled);
    if (disabled) await this.deps.revokeSessions(user.id);
    await recordChange(this.deps.audit, origin, disabled ? 'admin.user.disable' : 'admin.user.enable', {
      userId: user.id,
      username: user.username,
    });
    return user;
  }

  async setPassword(username: string, password: string, origin: AdminOrigin): Promise<User> {
    const user = await this.changeable(username, origin);
    await this.deps.users.setPasswordHash(user.id, await hashPassword(password));
    await recordChange(this.deps.audit, origin, 'admin.user.set-password', {
      userId: user.id,
      username: user.username,
    });
    return user;
  }

  /** Gives the user a new TOTP secret; the secret and its otpauth URI are returned once, never stored in clear. */
  async enrollTotp(username: string, origin: AdminOrigin): Promise<{ user: User; secret: string; uri: string }> {
    const { newTotpSecret, TOTP_SECRET_PURPOSE, totpUri } = await import('../credentials/totp.js');
    const user = await this.changeable(username, origin);
    const secret = newTotpSecret();
    await this.deps.users.setTotp(user.id, this.deps.box.seal(secret, TOTP_SECRET_PURPOSE));
    await recordChange(this.deps.audit, origin, 'admin.user.totp-enroll', { userId: user.id, username: user.username });
    return { user, secret, uri: totpUri(secret, user.username, this.deps.issuerHost) };
  }

  async resetTotp(username: string, origin: AdminOrigin): Promise<User> {
    const user = await this.changeable(username, origin);
    await this.deps.users.setTotp(user.id, null);
    await recordChange(this.deps.audit, origin, 'admin.user.totp-reset', { userId: user.id, username: user.username });
    return user;
  }

  /** Ends every session, grant and refresh token of the user at once; returns how many were removed. */
  async revokeSessions(username: string, origin: AdminOrigin): Promise<{ user: User; removed: number }> {
    const user = await this.deps.users.require(username);
    const removed = await this.deps.revokeSessions(user.id);
    await recordChange(this.deps.audit, origin, 'admin.user.revoke-sessions', {
      userId: user.id,
      username: user.username,
      detail: { removed },
    });
    return { user, removed };
  }

  private async view(user: User): Promise<UserView> {
    const [groups, attributes] = await Promise.all([
      this.deps.users.groupNames(user.id),
      this.deps.users.attributes(user.id),
    ]);
    return {
      ...summary(user),
      hasPassword: user.passwordHash !== null,
      totpEnrolledAt: user.totpEnrolledAt,
      groups,
      attributes,
    };
  }
}

function summary(user: User): UserSummary {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    name: user.name,
    status: user.disabled ? 'disabled' : 'active',
    totp: user.totpSecretSealed !== null,
    createdAt: user.createdAt,
  };
}

/** Hashes a password with argon2id (the length rules live in credentials/passwords.ts). */
async function hashPassword(password: string): Promise<string> {
  return (await import('../credentials/passwords.js')).hashPassword(password);
}
