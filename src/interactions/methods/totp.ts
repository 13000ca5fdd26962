// A TOTP code from an authenticator app, for an identified user. Each time step is accepted once; attempts
// are reserved against the account's own second-factor budget (which a password success never refills)
// and the IP's budget.
import type { SealedBox } from '../../crypto/sealed-box.js';
import { checkTotp, TOTP_SECRET_PURPOSE } from '../../credentials/totp.js';
import type { AuditLog } from '../../store/audit.js';
import type { UserRepository } from '../../store/users.js';
import { totpPage } from '../../views/pages.js';
import { throttleSubject, type SignInThrottle } from '../throttle.js';
import { auditBase, nowSeconds, reserveAttempt, retry } from './shared.js';
import type { SignInMethod } from './types.js';

export interface TotpMethodDeps {
  users: Pick<UserRepository, 'claimTotpStep'>;
  box: Pick<SealedBox, 'openText'>;
  throttle: SignInThrottle;
  audit: Pick<AuditLog, 'record'>;
}

export function totpMethod(deps: TotpMethodDeps): SignInMethod {
  return {
    name: 'totp',
    identifies: false,
    text: {
      requirement: 'a code from your authenticator app',
      hint: 'Ask your administrator to set up an authenticator app for your account.',
    },
    enrolled: async (user) => user.totpSecretSealed !== null,

    async start(ctx, failure) {
      return {
        kind: 'page',
        html: totpPage(ctx.form, { error: failure?.message }),
        status: failure?.status,
        retryAfter: failure?.retryAfter,
      };
    },

    async verify(ctx, input) {
      const { user } = ctx;
      if (!user?.totpSecretSealed) {
        return retry(400, 'ERR_TOTP_NOT_SET_UP', 'No authenticator app is set up for this account.');
      }
      const base = { ...auditBase('login.totp', ctx.request), userId: user.id, username: user.username };
      const attempt = await reserveAttempt(
        deps,
        'second_factor',
        throttleSubject(user, user.username),
        ctx.request,
        base,
      );
      if ('refused' in attempt) return attempt.refused;
      const code = input.kind === 'form' && typeof input.fields.otp === 'string' ? input.fields.otp : '';
      const secret = deps.box.openText(user.totpSecretSealed, TOTP_SECRET_PURPOSE);
      const check = checkTotp(secret, code, Date.now(), user.totpLastStep);
      const claimed = check.ok && check.step !== undefined && (await deps.users.claimTotpStep(user.id, check.step));
      if (!claimed) {
        await deps.audit.record({
          ...base,
          outcome: 'failure',
          reasons: [check.ok ? 'code already used' : 'wrong code'],
        });
        return retry(401, 'ERR_TOTP_INVALID', 'That code is not valid. Wait for a new code and try again.');
      }
      await attempt.reservation.succeeded();
      await deps.audit.record({ ...base, outcome: 'success' });
      return { ok: true, proof: { method: 'totp', at: nowSeconds(), amr: ['otp'], userId: user.id } };
    },
  };
}
