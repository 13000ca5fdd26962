// Username + password: identifies the user. An attempt is reserved against the per-account and per-IP
// limits before any hash is computed; unknown users cost the same as wrong passwords (a decoy hash).
import { verifyPassword } from '../../credentials/passwords.js';
import type { AuditLog } from '../../store/audit.js';
import { isStorableId } from '../../store/oidc-adapter.js';
import type { UserRepository } from '../../store/users.js';
import { loginPage } from '../../views/pages.js';
import { provenDevice } from '../proofs.js';
import { throttleSubject, type SignInThrottle } from '../throttle.js';
import { auditBase, nowSeconds, reserveAttempt, retry } from './shared.js';
import type { SignInMethod } from './types.js';

export interface PasswordMethodDeps {
  users: Pick<UserRepository, 'findByLogin'>;
  throttle: SignInThrottle;
  audit: Pick<AuditLog, 'record'>;
}

const BAD_CREDENTIALS = 'The username or password is incorrect.';

export function passwordMethod(deps: PasswordMethodDeps): SignInMethod {
  return {
    name: 'password',
    identifies: true,
    text: { requirement: 'your password', hint: 'Ask your administrator to set a password for your account.' },
    enrolled: async (user) => user.passwordHash !== null,

    async start(ctx, failure) {
      const username = failure?.username ?? ctx.user?.username ?? ctx.loginHint;
      // The device proved whose it is before any password: say so.
      const device = provenDevice(ctx.proofs);
      const notice =
        ctx.user && device?.userId === ctx.user.id
          ? `This device is enrolled to ${ctx.user.username}: enter your password to continue.`
          : undefined;
      return {
        kind: 'page',
        html: loginPage(ctx.form, { username, error: failure?.message, notice, offers: ctx.offers }),
        status: failure?.status,
        retryAfter: failure?.retryAfter,
        scripts: ctx.offers?.some((offer) => offer.scripts),
      };
    },

    async verify(ctx, input) {
      const fields = input.kind === 'form' ? input.fields : {};
      const username = typeof fields.username === 'string' ? fields.username.trim() : '';
      const password = typeof fields.password === 'string' ? fields.password : '';
      if (!username || !password) return retry(400, 'ERR_CREDENTIALS_MISSING', 'Enter your username and password.');
      // A login no user could have (control characters, absurd length) is refused before any lookup.
      if (!isStorableId(username) || username.length > 320) {
        return retry(400, 'ERR_USERNAME_INVALID', 'That is not a valid username or email address.');
      }
      const base = { ...auditBase('login.password', ctx.request), username };
      const user = await deps.users.findByLogin(username);
      const attempt = await reserveAttempt(deps, 'first_factor', throttleSubject(user, username), ctx.request, {
        ...base,
        userId: user?.id,
      });
      if ('refused' in attempt) return { ...attempt.refused, username };
      const valid = await verifyPassword(user?.passwordHash, password);
      if (!user || !valid) {
        await deps.audit.record({
          ...base,
          userId: user?.id,
          outcome: 'failure',
          reasons: [user ? 'wrong password' : 'unknown user'],
        });
        return retry(401, 'ERR_BAD_CREDENTIALS', BAD_CREDENTIALS, username);
      }
      await attempt.reservation.succeeded();
      if (user.disabled) {
        await deps.audit.record({ ...base, userId: user.id, outcome: 'failure', reasons: ['account disabled'] });
        return retry(403, 'ERR_USER_DISABLED', 'This account is disabled. Contact your administrator.', username);
      }
      await deps.audit.record({ ...base, userId: user.id, username: user.username, outcome: 'success' });
      return { ok: true, proof: { method: 'password', at: nowSeconds(), amr: ['pwd'], userId: user.id } };
    },
  };
}
