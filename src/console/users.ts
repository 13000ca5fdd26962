// Users: the list with a create form, and one user's page with their groups, devices and passkeys and
// the actions an administrator takes on a person: disable or enable, reset the authenticator app, end
// every session, and issue a device enrollment token (shown once).
import type { UserSummary, UserView } from '../admin/users.js';
import { LatchkeyError, NotFoundError } from '../errors.js';
import type { Page } from '../store/pages.js';
import { html, type SafeHtml } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { render, queryValue } from './render.js';
import type { ConsoleRoutes } from './router.js';
import {
  actionButton,
  badge,
  consolePage,
  csrfField,
  details,
  field,
  pager,
  table,
  text,
  when,
} from './views/layout.js';

export function userRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/users', (request) => showUsers(request, deps));
  routes.post(
    '/users',
    async (request) => {
      const { username = '', email = '', name = '', password = '' } = request.form;
      const created = await deps.admin.users.create(
        {
          username: username.trim(),
          email: email.trim() || null,
          name: name.trim() || null,
          password: password || null,
        },
        request.origin,
      );
      await showUser(request, deps, created.username, { notice: `User ${created.username} was created.` });
    },
    (request, error) => showUsers(request, deps, error),
  );
  routes.get('/users/:username', (request) => showUser(request, deps, param(request)));

  const action = (path: string, run: (request: ConsoleRequest, username: string) => Promise<string>) =>
    routes.post(
      `/users/:username/${path}`,
      async (request) => {
        const username = param(request);
        const notice = await run(request, username);
        await showUser(request, deps, username, { notice });
      },
      (request, error) => showUser(request, deps, param(request), { error }),
    );
  action('disable', async (r, u) => {
    await deps.admin.users.setDisabled(u, true, r.origin);
    return `${u} is disabled and every session of theirs has ended.`;
  });
  action('enable', async (r, u) => {
    await deps.admin.users.setDisabled(u, false, r.origin);
    return `${u} is enabled again.`;
  });
  action('reset-totp', async (r, u) => {
    await deps.admin.users.resetTotp(u, r.origin);
    return `${u}'s authenticator app was removed: they set up a new one from their account page.`;
  });
  action('revoke-sessions', async (r, u) => {
    const { removed } = await deps.admin.users.revokeSessions(u, r.origin);
    return `Every session of ${u} has ended (${removed} removed).`;
  });
  routes.post(
    '/users/:username/enrollment-token',
    async (request) => {
      const username = param(request);
      const created = await deps.devices.createEnrollmentToken(username, request.origin);
      await showUser(request, deps, username, {
        notice: `Enrollment token for ${username} (shown once, single use, until ${created.expiresAt.toISOString()}):`,
        token: created.token,
      });
    },
    (request, error) => showUser(request, deps, param(request), { error }),
  );
}

function param(request: ConsoleRequest): string {
  return String((request.ctx.params as Record<string, string>).username ?? '');
}

async function showUsers(request: ConsoleRequest, deps: ConsoleDeps, refused?: string): Promise<void> {
  let error = refused;
  const filter = queryValue(request, 'q');
  const after = queryValue(request, 'after');
  let page: Page<UserSummary> = { items: [] };
  try {
    page = await deps.admin.users.page({ search: filter || undefined, after: after || undefined });
  } catch (failure) {
    if (!(failure instanceof LatchkeyError)) throw failure;
    error ??= failure.message;
    request.ctx.status = failure.status;
  }
  const users = page.items;
  const kept = refused ? request.form : {};
  const body = html`<form method="get" action="/admin/users" class="filters" role="search">
      ${field('q', 'Find a user', { value: filter, type: 'search' })}
      <button type="submit" class="small">Find</button>
    </form>
    ${table(
      'Users',
      ['Username', 'Name', 'Email', 'Status', 'Authenticator app', 'Created'],
      users.map((u) => [
        html`<a href="/admin/users/${encodeURIComponent(u.username)}">${u.username}</a>`,
        text(u.name),
        text(u.email),
        badge(u.status),
        text(u.totp ? 'yes' : 'no'),
        when(u.createdAt),
      ]),
    )}
    ${pager('User pages', '/admin/users', { q: filter, after }, 'after', page.nextCursor, {
      first: 'First page',
      next: 'Next page →',
    })}
    <section aria-labelledby="create-user">
      <h2 id="create-user">Create a user</h2>
      <form method="post" action="/admin/users" class="stacked">
        ${csrfField(request.chrome().csrf)} ${field('username', 'Username', { value: kept.username, required: true })}
        ${field('email', 'Email (optional)', { value: kept.email, type: 'email' })}
        ${field('name', 'Display name (optional)', { value: kept.name })}
        ${field('password', 'Password (optional)', {
          type: 'password',
          autocomplete: 'new-password',
          hint: 'Leave empty for a user who signs in only with a device or passkey.',
        })}
        <button type="submit">Create user</button>
      </form>
    </section>`;
  render(request, consolePage({ title: 'Users', section: 'users', chrome: request.chrome({ error }), body }));
}

async function showUser(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  username: string,
  extra: { notice?: string; error?: string; token?: string } = {},
): Promise<void> {
  let user: UserView;
  try {
    user = await deps.admin.users.show(username);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const body = html`<p><a href="/admin/users">Back to users</a></p>`;
    return render(
      request,
      consolePage({
        title: 'No such user',
        section: 'users',
        chrome: request.chrome({ error: `There is no user "${username}".` }),
        body,
      }),
      404,
    );
  }
  const [devices, passkeys] = await Promise.all([
    deps.devices.listDevices({ username: user.username }),
    deps.admin.passkeys.list({ username: user.username }),
  ]);
  const csrf = request.chrome().csrf;
  const path = `/admin/users/${encodeURIComponent(user.username)}`;
  const actions: SafeHtml[] = [
    user.status === 'active'
      ? actionButton(`${path}/disable`, 'Disable user', csrf, { danger: true })
      : actionButton(`${path}/enable`, 'Enable user', csrf),
    user.totpEnrolledAt !== null ? actionButton(`${path}/reset-totp`, 'Reset authenticator app', csrf) : html``,
    actionButton(`${path}/revoke-sessions`, 'End every session', csrf),
    actionButton(`${path}/enrollment-token`, 'Create device enrollment token', csrf),
  ];
  const body = html`<p><a href="/admin/users">← All users</a></p>
    ${extra.token ? html`<p class="secret"><code>${extra.token}</code></p>` : html``}
    ${details([
      ['Username', user.username],
      ['Name', text(user.name)],
      ['Email', text(user.email)],
      ['Status', badge(user.status)],
      ['Password', user.hasPassword ? 'set' : 'none'],
      ['Authenticator app', user.totpEnrolledAt ? when(user.totpEnrolledAt) : 'none'],
      [
        'Groups',
        user.groups.length
          ? html`${user.groups.map((g, i) => html`${i ? ', ' : ''}<a href="/admin/groups/${encodeURIComponent(g)}">${g}</a>`)}`
          : text(null),
      ],
      ['Created', when(user.createdAt)],
    ])}
    <div class="actions">${actions}</div>
    <h2>Devices</h2>
    ${table(
      `Devices of ${user.username}`,
      ['Device', 'Platform', 'Status', 'Enrolled'],
      devices.map((d) => [
        html`<a href="/admin/devices/${encodeURIComponent(d.id)}">${d.hostname ?? d.id}</a>`,
        text([d.platform, d.osVersion].filter(Boolean).join(' ')),
        badge(d.status),
        when(d.enrolledAt),
      ]),
    )}
    <h2>Passkeys</h2>
    ${table(
      `Passkeys of ${user.username}`,
      ['Name', 'Kind', 'State', 'Created'],
      passkeys.map((p) => [text(p.name), text(p.kind), badge(p.state), when(p.createdAt)]),
    )}
    <p><a href="/admin/audit?user=${encodeURIComponent(user.username)}">Audit events of ${user.username}</a></p>`;
  render(
    request,
    consolePage({ title: `User ${user.username}`, section: 'users', chrome: request.chrome(extra), body }),
  );
}
