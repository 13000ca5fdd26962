// Whether a policy targets this client and this user. Clients are always known; the user may not be yet,
// in which case a policy that names users or groups (or excludes any) answers "pending".
import type { ClientFacts, CompiledTargets, Selection, UserFacts } from './types.js';

export interface TargetCheck {
  readonly status: 'match' | 'no_match' | 'pending';
  readonly reason: string;
}

function selects<T extends string>(selection: Selection<T>, value: T): boolean {
  return selection === 'all' || selection.has(value);
}

/** Does the policy target this client (id and type, minus exclusions)? */
export function checkClientTarget(targets: CompiledTargets, client: ClientFacts): TargetCheck {
  if (targets.excludeClients.has(client.id)) return { status: 'no_match', reason: `client ${client.id} is excluded` };
  if (targets.excludeClientTypes.has(client.type)) {
    return { status: 'no_match', reason: `client type ${client.type} is excluded` };
  }
  if (!selects(targets.clients, client.id))
    return { status: 'no_match', reason: `client ${client.id} is not targeted` };
  if (!selects(targets.clientTypes, client.type)) {
    return { status: 'no_match', reason: `client type ${client.type} is not targeted` };
  }
  return { status: 'match', reason: `client ${client.id} (${client.type}) is targeted` };
}

/** Does the policy target this user (by username or id, or by group, minus exclusions)? */
export function checkUserTarget(targets: CompiledTargets, user: UserFacts | undefined): TargetCheck {
  if (!targets.needsUser) return { status: 'match', reason: 'every user is targeted' };
  if (user === undefined)
    return { status: 'pending', reason: 'the user is not known yet (the policy names users or groups)' };
  const who = `user ${user.username}`;
  if (targets.excludeUsers.has(user.username) || targets.excludeUsers.has(user.id)) {
    return { status: 'no_match', reason: `${who} is excluded` };
  }
  const excludedGroup = user.groups.find((group) => targets.excludeGroups.has(group));
  if (excludedGroup !== undefined)
    return { status: 'no_match', reason: `${who} is excluded by group ${excludedGroup}` };
  return includeUser(targets, user, who);
}

function includeUser(targets: CompiledTargets, user: UserFacts, who: string): TargetCheck {
  const { users, groups } = targets;
  if ((users === null && groups === null) || users === 'all' || groups === 'all') {
    return { status: 'match', reason: `${who} is targeted (all users)` };
  }
  if (users !== null && (users.has(user.username) || users.has(user.id))) {
    return { status: 'match', reason: `${who} is targeted` };
  }
  const group = groups === null ? undefined : user.groups.find((name) => groups.has(name));
  if (group !== undefined) return { status: 'match', reason: `${who} is in targeted group ${group}` };
  return { status: 'no_match', reason: `${who} is not targeted` };
}
