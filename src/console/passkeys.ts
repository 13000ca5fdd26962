// Passkeys: every registered passkey with what kind of proof it is (device-bound, synced, security key)
// and its state, and revocation with a reason (kept on record; refused at the next sign-in and session
// check).
import type { PasskeyView } from '../admin/passkeys.js';
import { LatchkeyError } from '../errors.js';
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { queryValue, render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { badge, consolePage, csrfField, field, table, text, when } from './views/layout.js';

export function passkeyRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/passkeys', (request) => showPasskeys(request, deps));
  routes.post(
    '/passkeys/:id/revoke',
    async (request) => {
      const reason = (request.form.reason ?? '').trim() || 'revoked by an administrator';
      const { passkey, revoked } = await deps.admin.passkeys.revoke(
        String(request.ctx.params.id ?? ''),
        reason,
        request.origin,
      );
      await showPasskeys(request, deps, {
        notice: revoked
          ? `Passkey "${passkey.name}" of ${passkey.username} was revoked.`
          : 'That passkey was already revoked.',
      });
    },
    (request, error) => showPasskeys(request, deps, { error }),
  );
}

async function showPasskeys(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  extra: { notice?: string; error?: string } = {},
): Promise<void> {
  const user = queryValue(request, 'user');
  let passkeys: PasskeyView[] = [];
  let error = extra.error;
  try {
    passkeys = await deps.admin.passkeys.list(user ? { username: user } : {});
  } catch (failure) {
    if (!(failure instanceof LatchkeyError)) throw failure;
    error ??= failure.message;
  }
  const csrf = request.chrome().csrf;
  const body = html`<form method="get" action="/admin/passkeys" class="filters" role="search">
      ${field('user', 'User', { value: user })}
      <button type="submit" class="small">Filter</button>
    </form>
    ${table(
      'Passkeys',
      ['Name', 'User', 'Kind', 'State', 'Created', ''],
      passkeys.map((p) => [
        text(p.name),
        html`<a href="/admin/users/${encodeURIComponent(p.username)}">${p.username}</a>`,
        text(p.kind),
        badge(p.state),
        when(p.createdAt),
        p.state === 'revoked'
          ? text(null)
          : html`<form method="post" action="/admin/passkeys/${encodeURIComponent(p.id)}/revoke" class="inline">
              ${csrfField(csrf)}
              ${field('reason', 'Reason', { id: `reason-${p.id}`, placeholder: 'lost, replaced, left' })}
              <button type="submit" class="danger small">Revoke passkey</button>
            </form>`,
      ]),
    )}`;
  render(
    request,
    consolePage({ title: 'Passkeys', section: 'passkeys', chrome: request.chrome({ ...extra, error }), body }),
  );
}
