// The sign-in methods of the core: password and TOTP. Each parses its input, verifies it, decides, and
// writes the audit record; none touches the interaction itself (the router does).
import { verifyPassword } from '../accounts/passwords.js';
import { checkTotp, TOTP_SECRET_PURPOSE } from '../accounts/totp.js';
import { RateLimitedError } from '../errors.js';
import type { AuditLog } from '../store/audit.js';
import type { UserRepository } from '../store/users.js';
import type { SealedBox } from '../crypto/sealed-box.js';
import type { LoginThrottle } from './throttle.js';
import type { RequestFacts } from './router.js';

export type StepOutcome =
  { ok: true; userId: string } | { ok: false; status: number; message: string; retryAfter?: number };

interface MethodDeps {
  users: UserRepository;
  box: SealedBox;
  throttle: LoginThrottle;
  audit: AuditLog;
}

const BAD_CREDENTIALS = 'The username or password is incorrect.';

/** Username + password, rate-limited per user and per IP before any hash is computed. */
export async function checkPassword(
  deps: MethodDeps,
  facts: RequestFacts,
  rawUsername: unknown,
  rawPassword: unknown,
): Promise<StepOutcome> {
  const username = typeof rawUsername === 'string' ? rawUsername.trim().slice(0, 320) : '';
  const password = typeof rawPassword === 'string' ? rawPassword : '';
  const base = {
    event: 'login.password',
    username: username || null,
    ip: facts.ip,
    userAgent: facts.userAgent,
    clientId: facts.clientId,
  };
  if (!username || !password) {
    return { ok: false, status: 400, message: 'Enter your username and password.' };
  }
  try {
    await deps.throttle.assertAllowed(username, facts.ip);
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    await deps.audit.record({ ...base, outcome: 'failure', reasons: ['rate limited'] });
    return { ok: false, status: 429, message: error.message, retryAfter: error.retryAfterSeconds };
  }
  const user = await deps.users.findByLogin(username);
  const valid = await verifyPassword(user?.passwordHash, password);
  if (!user || !valid) {
    await deps.throttle.recordFailure(username, facts.ip);
    await deps.audit.record({
      ...base,
      userId: user?.id,
      outcome: 'failure',
      reasons: [user ? 'wrong password' : 'unknown user'],
    });
    return { ok: false, status: 401, message: BAD_CREDENTIALS };
  }
  if (user.disabled) {
    await deps.audit.record({ ...base, userId: user.id, outcome: 'failure', reasons: ['account disabled'] });
    return { ok: false, status: 403, message: 'This account is disabled. Contact your administrator.' };
  }
  await deps.throttle.recordSuccess(username);
  await deps.audit.record({ ...base, userId: user.id, username: user.username, outcome: 'success' });
  return { ok: true, userId: user.id };
}

/** A TOTP code for an identified user; each time step is accepted once. Failures count like passwords. */
export async function checkTotpCode(
  deps: MethodDeps,
  facts: RequestFacts,
  userId: string,
  rawCode: unknown,
): Promise<StepOutcome> {
  const user = await deps.users.findById(userId);
  const base = {
    event: 'login.totp',
    userId,
    username: user?.username,
    ip: facts.ip,
    userAgent: facts.userAgent,
    clientId: facts.clientId,
  };
  if (!user?.totpSecretSealed)
    return { ok: false, status: 400, message: 'No authenticator app is set up for this account.' };
  try {
    await deps.throttle.assertAllowed(user.username, facts.ip);
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    await deps.audit.record({ ...base, outcome: 'failure', reasons: ['rate limited'] });
    return { ok: false, status: 429, message: error.message, retryAfter: error.retryAfterSeconds };
  }
  const code = typeof rawCode === 'string' ? rawCode : '';
  const secret = deps.box.openText(user.totpSecretSealed, TOTP_SECRET_PURPOSE);
  const check = checkTotp(secret, code, Date.now(), user.totpLastStep);
  const claimed = check.ok && check.step !== undefined && (await deps.users.claimTotpStep(user.id, check.step));
  if (!claimed) {
    await deps.throttle.recordFailure(user.username, facts.ip);
    await deps.audit.record({ ...base, outcome: 'failure', reasons: [check.ok ? 'code already used' : 'wrong code'] });
    return { ok: false, status: 401, message: 'That code is not valid. Wait for a new code and try again.' };
  }
  await deps.audit.record({ ...base, outcome: 'success' });
  return { ok: true, userId: user.id };
}
