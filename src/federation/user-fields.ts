// Which of a user's values another IdP knows them by: their email, their username, or an attribute an
// administrator set (an Entra object id, an employee number). Factor clients choose one for the
// preferred_username claim they receive, and Entra clients one to find the user its hint names.
import { InvalidInputError } from '../errors.js';

export const USER_FIELD_NAMES = ['email', 'username'] as const;
const ATTRIBUTE_PREFIX = 'attribute:';
/** Attribute names: short, starting with a letter, then letters, digits, `_`, `-`, `.`. */
export const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export type UserField = (typeof USER_FIELD_NAMES)[number] | `attribute:${string}`;

/** What of a user the fields read. */
export interface FieldSource {
  username: string;
  email: string | null;
  attributes: Readonly<Record<string, string>>;
}

/** Parses `email`, `username` or `attribute:NAME`; refuses anything else with what is accepted. */
export function parseUserField(text: string, option: string): UserField {
  if ((USER_FIELD_NAMES as readonly string[]).includes(text)) return text as UserField;
  if (text.startsWith(ATTRIBUTE_PREFIX) && ATTRIBUTE_NAME.test(text.slice(ATTRIBUTE_PREFIX.length))) {
    return text as UserField;
  }
  throw new InvalidInputError(
    'ERR_USAGE_USER_FIELD',
    `${option} must be email, username or attribute:NAME (NAME: a letter, then letters, digits, _ - .), not "${text}"`,
  );
}

/** The attribute a field reads, or undefined for email and username. */
export function attributeOf(field: UserField): string | undefined {
  return field.startsWith(ATTRIBUTE_PREFIX) ? field.slice(ATTRIBUTE_PREFIX.length) : undefined;
}

/** The user's value of `field`; email falls back to the username for users without one. */
export function userFieldValue(user: FieldSource, field: UserField): string | undefined {
  if (field === 'username') return user.username;
  if (field === 'email') return user.email ?? user.username;
  return user.attributes[attributeOf(field)!];
}
