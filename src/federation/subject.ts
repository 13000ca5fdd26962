// Who a federated sign-in is about. The other IdP already knows its user and may name them: Okta with
// login_hint (not always sent), Entra with its id_token_hint (always). The device proves who is here;
// these say whom the other IdP expects, and the two must agree.
import { attributeOf, userFieldValue, type FieldSource, type UserField } from './user-fields.js';
import type { EntraHint } from './entra-hint.js';
import type { EntraMatchClaim } from './settings.js';

/** The user lookups this needs (store/users.ts implements them). */
export interface UserLookup<U extends { id: string; username: string; email: string | null }> {
  findByUsername(username: string): Promise<U | undefined>;
  findByEmail(email: string): Promise<U | undefined>;
  findByAttribute(name: string, value: string): Promise<U | undefined>;
  attributes(userId: string): Promise<Record<string, string>>;
}

const same = (a: string | undefined | null, b: string) => !!a && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Whether `hint` (a login_hint) names `user`: their username, their email, or the value this client
 * receives as preferred_username (what the other IdP matches on), ignoring case.
 */
export function hintNames(hint: string, user: FieldSource, preferred: UserField): boolean {
  return same(user.username, hint) || same(user.email, hint) || same(userFieldValue(user, preferred), hint);
}

/** The user whose `field` is `value`. */
export async function findUserByField<U extends { id: string; username: string; email: string | null }>(
  users: UserLookup<U>,
  field: UserField,
  value: string,
): Promise<U | undefined> {
  const attribute = attributeOf(field);
  if (attribute) return users.findByAttribute(attribute, value);
  if (field === 'username') return users.findByUsername(value);
  // email: users without one are known by their username (userFieldValue's fallback).
  return (await users.findByEmail(value)) ?? (await users.findByUsername(value));
}

/** The value of the hint claim that names the user, if the hint has it. */
export function hintClaim(hint: EntraHint, claim: EntraMatchClaim): string | undefined {
  switch (claim) {
    case 'preferred_username':
      return hint.preferredUsername;
    case 'email':
      return hint.email;
    case 'upn':
      return hint.upn;
    case 'oid':
      return hint.oid;
    case 'sub':
      return hint.sub;
  }
}

/** What `user` is to this client: username, email and the attributes a field may read. */
export async function fieldSource<U extends { id: string; username: string; email: string | null }>(
  users: UserLookup<U>,
  user: U,
  field: UserField,
): Promise<FieldSource> {
  return {
    username: user.username,
    email: user.email,
    attributes: attributeOf(field) ? await users.attributes(user.id) : {},
  };
}
