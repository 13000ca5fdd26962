// Group administration: groups are released in the groups claim and used by policies, so every change
// of a group or its members is audited with the caller as actor.
import { ConflictError } from '../errors.js';
import type { Group, GroupRepository, UserRepository } from '../store/users.js';
import { ADMINS_SCOPE, recordChange, refuseEscalation, type AdminOrigin, type AuditPort } from './context.js';

export interface GroupAdminDeps {
  groups: GroupRepository;
  users: Pick<UserRepository, 'require'>;
  audit: AuditPort;
  /** The admin console's group (config admin.group): removing it would lock every administrator out. */
  adminGroup: string;
}

export interface GroupView extends Group {
  members: string[];
}

export class GroupAdmin {
  constructor(private readonly deps: GroupAdminDeps) {}

  list(): Promise<Array<Group & { members: number }>> {
    return this.deps.groups.list();
  }

  /** One group with its members' usernames (NotFoundError ERR_GROUP_NOT_FOUND). */
  async show(name: string): Promise<GroupView> {
    const group = await this.deps.groups.require(name);
    return { ...group, members: await this.deps.groups.members(group.id) };
  }

  async create(name: string, description: string | null, origin: AdminOrigin): Promise<GroupView> {
    this.refuseAdminGroup(name, origin);
    const group = await this.deps.groups.create(name, description);
    await recordChange(this.deps.audit, origin, 'admin.group.add', { detail: { group: name } });
    return { ...group, members: [] };
  }

  /** Its members may use the admin console: only a caller holding latchkey.admins.manage changes it. */
  private refuseAdminGroup(name: string, origin: AdminOrigin): void {
    if (name === this.deps.adminGroup) refuseEscalation(origin, [ADMINS_SCOPE], `changing the admin group ${name}`);
  }

  async remove(name: string, origin: AdminOrigin): Promise<void> {
    if (name === this.deps.adminGroup) {
      throw new ConflictError(
        'ERR_GROUP_PROTECTED',
        `${name} is the admin console's group (admin.group): set admin.group to another group before removing it`,
      );
    }
    await this.deps.groups.remove(name);
    await recordChange(this.deps.audit, origin, 'admin.group.remove', { detail: { group: name } });
  }

  /** Adds (or removes) a member; both are idempotent. */
  async setMember(
    groupName: string,
    username: string,
    member: boolean,
    origin: AdminOrigin,
  ): Promise<{ group: GroupView; username: string }> {
    const group = await this.deps.groups.require(groupName);
    this.refuseAdminGroup(group.name, origin);
    const user = await this.deps.users.require(username);
    if (member) await this.deps.groups.addMember(group.id, user.id);
    else await this.deps.groups.removeMember(group.id, user.id);
    await recordChange(this.deps.audit, origin, member ? 'admin.group.add-member' : 'admin.group.remove-member', {
      userId: user.id,
      username: user.username,
      detail: { group: group.name },
    });
    return { group: await this.show(group.name), username: user.username };
  }
}
