// Username + password: identifies the user. An attempt is reserved against the per-account and per-IP
// limits before any hash is computed.
import { verifyPassword } from '../../credentials/passwords.js';
import { isStorableId } from '../../store/oidc-adapter.js';
import { loginPage } from '../../views/pages.js';
import { throttleSubject } from '../throttle.js';
import { reserveAttempt } from './shared.js';
import type { SignInMethod } from './types.js';

const BAD_CREDENTIALS = 'The username or password is incorrect.';

export const passwordMethod: SignInMethod = {
  name: 'password',
  identifies: true,
  available: (user) => user === undefined || user.enrolled.includes('password'),
  render: (form, view) => loginPage(form, view),

  async verify(deps, { facts, body }) {
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!username || !password) return { ok: false, status: 400, message: 'Enter your username and password.' };
    // A login no user could have (control characters, absurd length) is refused before any lookup.
    if (!isStorableId(username) || username.length > 320)
      return { ok: false, status: 400, message: 'That is not a valid username or email address.' };
    const base = {
      event: 'login.password',
      username,
      ip: facts.ip,
      userAgent: facts.userAgent,
      clientId: facts.clientId,
    };
    const user = await deps.users.findByLogin(username);
    const attempt = await reserveAttempt(deps, 'first_factor', throttleSubject(user, username), facts, {
      ...base,
      userId: user?.id,
    });
    if ('refused' in attempt) return attempt.refused;
    const valid = await verifyPassword(user?.passwordHash, password);
    if (!user || !valid) {
      await deps.audit.record({
        ...base,
        userId: user?.id,
        outcome: 'failure',
        reasons: [user ? 'wrong password' : 'unknown user'],
      });
      return { ok: false, status: 401, message: BAD_CREDENTIALS };
    }
    await attempt.reservation.succeeded();
    if (user.disabled) {
      await deps.audit.record({ ...base, userId: user.id, outcome: 'failure', reasons: ['account disabled'] });
      return { ok: false, status: 403, message: 'This account is disabled. Contact your administrator.' };
    }
    await deps.audit.record({ ...base, userId: user.id, username: user.username, outcome: 'success' });
    return { ok: true, userId: user.id };
  },
};
