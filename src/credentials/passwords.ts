// Password hashing with argon2id at OWASP's recommended parameters. argon2 runs in libuv's thread pool,
// never on the event loop (raise UV_THREADPOOL_SIZE for login-heavy loads).
import argon2 from 'argon2';
import { InvalidInputError } from '../errors.js';

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/** Rejects passwords that are too short or absurdly long (a hashing denial-of-service). */
export function assertAcceptablePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidInputError(
      'ERR_PASSWORD_TOO_SHORT',
      `passwords must have at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidInputError(
      'ERR_PASSWORD_TOO_LONG',
      `passwords must have at most ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

export async function hashPassword(password: string): Promise<string> {
  assertAcceptablePassword(password);
  return argon2.hash(password, OPTIONS);
}

// A hash of a random password, verified against when the user does not exist so that timing does not
// reveal which usernames exist.
let decoyHash: Promise<string> | undefined;

/** True when `password` matches `hash`; with no hash, spends the same time and returns false. */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  if (!hash) {
    decoyHash ??= argon2.hash('decoy-password-that-never-matches', OPTIONS);
    await argon2.verify(await decoyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
