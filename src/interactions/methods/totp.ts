// A TOTP code from an authenticator app, for an identified user. Each time step is accepted once; attempts
// are reserved against the account's own second-factor budget (which a password success never refills)
// and the IP's budget.
import { checkTotp, TOTP_SECRET_PURPOSE } from '../../credentials/totp.js';
import { totpPage } from '../../views/pages.js';
import { throttleSubject } from '../throttle.js';
import { reserveAttempt } from './shared.js';
import type { SignInMethod } from './types.js';

export const totpMethod: SignInMethod = {
  name: 'totp',
  identifies: false,
  available: (user) => user !== undefined && user.enrolled.includes('totp'),
  render: (form, view) => totpPage(form, view),

  async verify(deps, { facts, userId, body }) {
    const user = userId ? await deps.users.findById(userId) : undefined;
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
    const attempt = await reserveAttempt(deps, 'second_factor', throttleSubject(user, user.username), facts, base);
    if ('refused' in attempt) return attempt.refused;
    const code = typeof body.otp === 'string' ? body.otp : '';
    const secret = deps.box.openText(user.totpSecretSealed, TOTP_SECRET_PURPOSE);
    const check = checkTotp(secret, code, Date.now(), user.totpLastStep);
    const claimed = check.ok && check.step !== undefined && (await deps.users.claimTotpStep(user.id, check.step));
    if (!claimed) {
      await deps.audit.record({
        ...base,
        outcome: 'failure',
        reasons: [check.ok ? 'code already used' : 'wrong code'],
      });
      return { ok: false, status: 401, message: 'That code is not valid. Wait for a new code and try again.' };
    }
    await attempt.reservation.succeeded();
    await deps.audit.record({ ...base, outcome: 'success' });
    return { ok: true, userId: user.id };
  },
};
