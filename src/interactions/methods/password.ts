// Username + password: identifies the user. Rate-limited per user and per IP before any hash is computed.
import { verifyPassword } from '../../credentials/passwords.js';
import { loginPage } from '../../views/pages.js';
import { throttled } from './shared.js';
import type { SignInMethod } from './types.js';

const BAD_CREDENTIALS = 'The username or password is incorrect.';

export const passwordMethod: SignInMethod = {
  name: 'password',
  identifies: true,
  available: (user) => user === undefined || user.enrolled.includes('password'),
  render: (form, view) => loginPage(form, view),

  async verify(deps, { facts, body }) {
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 320) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const base = {
      event: 'login.password',
      username: username || null,
      ip: facts.ip,
      userAgent: facts.userAgent,
      clientId: facts.clientId,
    };
    if (!username || !password) return { ok: false, status: 400, message: 'Enter your username and password.' };
    const limited = await throttled(deps, username, facts, base);
    if (limited) return limited;
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
  },
};
