// Which of a user's names the preferred_username claim carries. Federating IdPs match users on it, so it is
// chosen once in configuration (claims.preferred_username) and a client that federates differently (a
// factor client of an IdP that matches on usernames) can pass its own choice.
import type { PreferredUsernameSource } from '../config/schema.js';
import type { User } from '../store/users.js';

export type { PreferredUsernameSource };

/** The preferred_username of `user` under `source`: the email (the username when there is none), or the username. */
export function preferredUsername(user: Pick<User, 'username' | 'email'>, source: PreferredUsernameSource): string {
  return source === 'email' ? (user.email ?? user.username) : user.username;
}
