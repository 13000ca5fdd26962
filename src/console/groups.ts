// Groups: the list with a create form, and one group's members with add and remove. Groups are released
// in the groups claim and matched by policies; the admin group (config admin.group) opens this console.
import { NotFoundError } from '../errors.js';
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { actionButton, consolePage, csrfField, field, table, text } from './views/layout.js';

export function groupRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/groups', (request) => showGroups(request, deps));
  routes.post(
    '/groups',
    async (request) => {
      const name = (request.form.name ?? '').trim();
      const group = await deps.admin.groups.create(
        name,
        (request.form.description ?? '').trim() || null,
        request.origin,
      );
      await showGroup(request, deps, group.name, { notice: `Group ${group.name} was created.` });
    },
    (request, error) => showGroups(request, deps, error),
  );
  routes.get('/groups/:name', (request) => showGroup(request, deps, param(request)));
  routes.post(
    '/groups/:name/members',
    async (request) => {
      const name = param(request);
      const username = (request.form.username ?? '').trim();
      const done = await deps.admin.groups.setMember(name, username, true, request.origin);
      await showGroup(request, deps, name, { notice: `${done.username} is now a member of ${name}.` });
    },
    (request, error) => showGroup(request, deps, param(request), { error }),
  );
  routes.post(
    '/groups/:name/remove',
    async (request) => {
      const name = param(request);
      await deps.admin.groups.remove(name, request.origin);
      await showGroups(request, deps, undefined, `Group ${name} was removed (its members stay).`);
    },
    (request, error) => showGroup(request, deps, param(request), { error }),
  );
  routes.post(
    '/groups/:name/members/remove',
    async (request) => {
      const name = param(request);
      const done = await deps.admin.groups.setMember(name, request.form.username ?? '', false, request.origin);
      await showGroup(request, deps, name, { notice: `${done.username} is no longer a member of ${name}.` });
    },
    (request, error) => showGroup(request, deps, param(request), { error }),
  );
}

function param(request: ConsoleRequest): string {
  return String((request.ctx.params as Record<string, string>).name ?? '');
}

async function showGroups(request: ConsoleRequest, deps: ConsoleDeps, error?: string, notice?: string): Promise<void> {
  const groups = await deps.admin.groups.list();
  const kept = error ? request.form : {};
  const body = html`${table(
      'Groups',
      ['Group', 'Description', 'Members'],
      groups.map((g) => [
        html`<a href="/admin/groups/${encodeURIComponent(g.name)}">${g.name}</a>${
            g.name === deps.adminGroup ? html` <span class="badge">console admins</span>` : html``
          }`,
        text(g.description),
        text(g.members),
      ]),
    )}
    <section aria-labelledby="create-group">
      <h2 id="create-group">Create a group</h2>
      <form method="post" action="/admin/groups" class="stacked">
        ${csrfField(request.chrome().csrf)} ${field('name', 'Name', { value: kept.name, required: true })}
        ${field('description', 'Description (optional)', { value: kept.description })}
        <button type="submit">Create group</button>
      </form>
    </section>`;
  render(request, consolePage({ title: 'Groups', section: 'groups', chrome: request.chrome({ error, notice }), body }));
}

async function showGroup(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  name: string,
  extra: { notice?: string; error?: string } = {},
): Promise<void> {
  let group;
  try {
    group = await deps.admin.groups.show(name);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const body = html`<p><a href="/admin/groups">Back to groups</a></p>`;
    const chrome = request.chrome({ error: `There is no group "${name}".` });
    return render(request, consolePage({ title: 'No such group', section: 'groups', chrome, body }), 404);
  }
  const csrf = request.chrome().csrf;
  const path = `/admin/groups/${encodeURIComponent(group.name)}`;
  const body = html`<p><a href="/admin/groups">← All groups</a></p>
    ${group.description ? html`<p>${group.description}</p>` : html``}
    ${
      group.name === deps.adminGroup
        ? html`<p class="notice">Members of this group may use the admin console, from a trusted device only.</p>`
        : html``
    }
    <h2>Members</h2>
    ${table(
      `Members of ${group.name}`,
      ['Username', ''],
      group.members.map((username) => [
        html`<a href="/admin/users/${encodeURIComponent(username)}">${username}</a>`,
        actionButton(`${path}/members/remove`, `Remove ${username}`, csrf, { hidden: { username } }),
      ]),
    )}
    <form method="post" action="${path}/members" class="stacked">
      ${csrfField(csrf)} ${field('username', 'Add a member (username)', { required: true })}
      <button type="submit">Add member</button>
    </form>
    <h2>Remove the group</h2>
    <p class="muted">Its members stay; policies naming the group stop matching them.</p>
    ${actionButton(`${path}/remove`, `Remove group ${group.name}`, csrf, { danger: true })}`;
  render(
    request,
    consolePage({ title: `Group ${group.name}`, section: 'groups', chrome: request.chrome(extra), body }),
  );
}
