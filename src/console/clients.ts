// Clients: relying parties, factor clients (other IdPs, with the text to paste into Okta or Entra) and
// admin API clients, registered, re-keyed, changed and removed here as with `latchkey clients`. A secret is
// shown once, on the page that answers its creation or rotation, and never again.
import { NotFoundError } from '../errors.js';
import { isBuiltInClient } from '../policies/index.js';
import type { ClientView, ClientWithSecret } from '../admin/clients.js';
import { ADMIN_API_SCOPES } from '../admin/scopes.js';
import { namedBy } from '../admin/option-names.js';
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { actionButton, consolePage, csrfField, details, field, select, table, text, when } from './views/layout.js';

/** The relying party form's labels, for the services' refusals. */
const RP_FORM_LABELS = namedBy({
  redirectUri: '"Redirect URIs"',
  kind: '"Kind"',
  authMethod: '"Token endpoint authentication"',
  public: '"None (public client with PKCE)"',
});

/** The factor client forms' labels, for the services' refusals. */
const FACTOR_FORM_LABELS = namedBy({
  oktaDomain: '"Okta: your org domain"',
  tenantId: '"Entra: directory (tenant) id"',
  redirectUri: '"Other IdP: its callback URLs"',
  sessionLifetime: '"How long a proven device is relied on"',
  unmanaged: '"A sign-in without a trusted device gets"',
  preferredUsername: '"preferred_username carries"',
});

export function clientRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/clients', (request) => showClients(request, deps));
  routes.post(
    '/clients',
    async (request) => {
      const f = request.form;
      const redirectUri = lines(f.redirect_uris);
      const created = await deps.admin.clients.create(
        {
          name: (f.name ?? '').trim(),
          kind: f.kind ?? 'first_party',
          authMethod: f.auth_method || 'client_secret_basic',
          redirectUri,
          idTokenAlg: f.id_token_alg === 'ES256' ? 'ES256' : 'RS256',
        },
        request.origin,
        RP_FORM_LABELS,
      );
      await showClient(request, deps, created.client.clientId, {
        notice: `Client ${created.client.name} was registered.`,
        secret: created.secret ?? undefined,
      });
    },
    (request, error) => showClients(request, deps, error),
  );
  routes.post(
    '/clients/factor',
    async (request) => {
      const f = request.form;
      const created = await deps.admin.clients.createFactor(
        f.idp ?? '',
        {
          name: f.name?.trim() || undefined,
          oktaDomain: f.idp === 'okta' ? f.okta_domain?.trim() : undefined,
          tenantId: f.idp === 'entra' ? f.tenant_id?.trim() : undefined,
          redirectUri: f.idp === 'generic' ? lines(f.redirect_uris) : undefined,
        },
        request.origin,
        FACTOR_FORM_LABELS,
      );
      await created_(request, deps, created, `Factor client ${created.client.name} was registered.`);
    },
    (request, error) => showClients(request, deps, error),
  );
  routes.post(
    '/clients/admin',
    async (request) => {
      const scopes = Object.keys(ADMIN_API_SCOPES).filter((scope) => request.form[scopeField(scope)] === 'on');
      const created = await deps.admin.clients.createAdmin(
        { name: (request.form.name ?? '').trim(), scopes },
        request.origin,
      );
      await created_(request, deps, created, `Admin API client ${created.client.name} was registered.`);
    },
    (request, error) => showClients(request, deps, error),
  );
  routes.get('/clients/:id', (request) => showClient(request, deps, clientParam(request)));
  routes.post(
    '/clients/:id/secret',
    async (request) => {
      const rotated = await deps.admin.clients.rotateSecret(clientParam(request), request.origin);
      await created_(request, deps, rotated, 'The client has a new secret; the old one no longer works.');
    },
    (request, error) => showClient(request, deps, clientParam(request), { error }),
  );
  routes.post(
    '/clients/:id/factor',
    async (request) => {
      const f = request.form;
      await deps.admin.clients.updateFactor(
        clientParam(request),
        {
          sessionLifetime: f.session_lifetime?.trim() || undefined,
          unmanaged: f.unmanaged || undefined,
          preferredUsername: f.preferred_username?.trim() || undefined,
        },
        request.origin,
        FACTOR_FORM_LABELS,
      );
      await showClient(request, deps, clientParam(request), { notice: 'The factor settings were saved.' });
    },
    (request, error) => showClient(request, deps, clientParam(request), { error }),
  );
  routes.post(
    '/clients/:id/remove',
    async (request) => {
      const id = clientParam(request);
      await deps.admin.clients.remove(id, request.origin);
      await showClients(request, deps, undefined, `Client ${id} was removed.`);
    },
    (request, error) => showClient(request, deps, clientParam(request), { error }),
  );
}

/** The checkbox of `scope` (no dots: the form parser would read them as nested fields). */
function scopeField(scope: string): string {
  return `scope_${scope.replace(/\./g, '_')}`;
}

function clientParam(request: ConsoleRequest): string {
  return String(request.ctx.params.id ?? '');
}

function lines(value: string | undefined): string[] {
  return (value ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The page of a client just created or re-keyed, with its secret shown this once. */
function created_(request: ConsoleRequest, deps: ConsoleDeps, made: ClientWithSecret, notice: string) {
  return showClient(request, deps, made.client.clientId, { notice, secret: made.secret ?? undefined });
}

async function showClients(request: ConsoleRequest, deps: ConsoleDeps, error?: string, notice?: string): Promise<void> {
  const clients = await deps.admin.clients.list();
  const kept = error ? request.form : {};
  const body = html`${table(
      'Clients',
      ['Name', 'Client id', 'Kind', 'Created'],
      clients.map((c) => [
        html`<a href="/admin/clients/${encodeURIComponent(c.clientId)}">${c.name}</a>`,
        html`<code>${c.clientId}</code>`,
        text(c.kind.replace('_', '-')),
        when(c.createdAt),
      ]),
    )}
    <section aria-labelledby="create-client">
      <h2 id="create-client">Register a relying party</h2>
      <form method="post" action="/admin/clients" class="stacked">
        ${csrfField(request.chrome().csrf)} ${field('name', 'Name', { value: kept.name, required: true })}
        <div class="field">
          <label for="f-redirect_uris">Redirect URIs (one per line)</label>
          <textarea id="f-redirect_uris" name="redirect_uris" rows="3" spellcheck="false">
${kept.redirect_uris ?? ''}</textarea>
        </div>
        ${select(
          'kind',
          'Kind',
          [
            ['first_party', 'First party (no consent screen)'],
            ['third_party', 'Third party (asks for consent)'],
          ],
          kept.kind,
        )}
        ${select(
          'auth_method',
          'Token endpoint authentication',
          [
            ['client_secret_basic', 'Client secret (HTTP Basic)'],
            ['client_secret_post', 'Client secret (form post)'],
            ['none', 'None (public client with PKCE)'],
          ],
          kept.auth_method,
        )}
        ${select(
          'id_token_alg',
          'ID token signing algorithm',
          [
            ['RS256', 'RS256'],
            ['ES256', 'ES256'],
          ],
          kept.id_token_alg,
        )}
        <button type="submit">Register client</button>
      </form>
    </section>
    <section aria-labelledby="create-factor">
      <h2 id="create-factor">Register another IdP as a factor client</h2>
      <p class="muted">Okta, Microsoft Entra or any OpenID Connect IdP sends its users here to prove their device.</p>
      <form method="post" action="/admin/clients/factor" class="stacked">
        ${csrfField(request.chrome().csrf)}
        ${select(
          'idp',
          'Identity provider',
          [
            ['okta', 'Okta'],
            ['entra', 'Microsoft Entra (external authentication method)'],
            ['generic', 'Another OpenID Connect IdP'],
          ],
          kept.idp,
        )}
        ${field('name', 'Name (optional)', { value: kept.idp ? kept.name : undefined, id: 'f-factor-name' })}
        ${field('okta_domain', 'Okta: your org domain', { value: kept.okta_domain, placeholder: 'acme.okta.com' })}
        ${field('tenant_id', 'Entra: directory (tenant) id', { value: kept.tenant_id })}
        <div class="field">
          <label for="f-factor-redirect">Other IdP: its callback URLs (one per line)</label>
          <textarea id="f-factor-redirect" name="redirect_uris" rows="2" spellcheck="false"></textarea>
        </div>
        <button type="submit">Register factor client</button>
      </form>
    </section>
    <section aria-labelledby="create-admin">
      <h2 id="create-admin">Register an admin API client</h2>
      <p class="muted">
        Automation gets tokens by the client-credentials grant, limited to these scopes (docs/admin-api.md).
      </p>
      <form method="post" action="/admin/clients/admin" class="stacked">
        ${csrfField(request.chrome().csrf)} ${field('name', 'Name', { required: true, id: 'f-admin-name' })}
        <fieldset>
          <legend>Scopes</legend>
          ${Object.entries(ADMIN_API_SCOPES).map(
            ([scope, meaning]) =>
              html`<label class="check">
                <input type="checkbox" name="${scopeField(scope)}" /> <span><code>${scope}</code>: ${meaning}</span>
              </label>`,
          )}
        </fieldset>
        <button type="submit">Register admin API client</button>
      </form>
    </section>`;
  render(
    request,
    consolePage({ title: 'Clients', section: 'clients', chrome: request.chrome({ error, notice }), body }),
  );
}

async function showClient(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  clientId: string,
  extra: { notice?: string; error?: string; secret?: string } = {},
): Promise<void> {
  let client: ClientView;
  try {
    client = await deps.admin.clients.show(clientId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const chrome = request.chrome({ error: `There is no client "${clientId}".` });
    return render(request, consolePage({ title: 'No such client', section: 'clients', chrome, body: html`` }), 404);
  }
  const setup = client.kind === 'factor' ? await deps.admin.clients.factorSetup(client.clientId) : undefined;
  const list = (key: string) => ((client.metadata[key] as string[] | undefined) ?? []).join(', ');
  const csrf = request.chrome().csrf;
  const path = `/admin/clients/${encodeURIComponent(client.clientId)}`;
  const builtIn = isBuiltInClient(client.clientId);
  const body = html`<p><a href="/admin/clients">← All clients</a></p>
    ${
      extra.secret
        ? html`<div class="secret" role="status">
            <p><strong>Client secret</strong> (shown this once; store it now):</p>
            <p><code>${extra.secret}</code></p>
          </div>`
        : html``
    }
    ${details([
      ['Name', client.name],
      ['Client id', html`<code>${client.clientId}</code>`],
      ['Kind', client.kind.replace('_', '-')],
      ['Redirect URIs', text(list('redirect_uris'))],
      ['Grant types', text(list('grant_types'))],
      ...(client.kind === 'admin' ? ([['Admin API scopes', text(String(client.metadata.scope ?? ''))]] as const) : []),
      ['Authentication', text(String(client.metadata.token_endpoint_auth_method ?? ''))],
      ['Secret', client.hasSecret ? 'set (never shown again)' : 'none'],
      ['Created', when(client.createdAt)],
    ])}
    ${
      setup
        ? html`<section aria-labelledby="setup">
            <h2 id="setup">${setup.title}</h2>
            ${details(setup.rows.map(([k, v]) => [k, html`<code>${v}</code>`] as const))}
            ${
              setup.notes.length
                ? html`<ul class="notes">
                    ${setup.notes.map((n) => html`<li>${n}</li>`)}
                  </ul>`
                : html``
            }
          </section>`
        : html``
    }
    ${client.kind === 'factor' && client.factor ? factorForm(request, client) : html``}
    <p><a href="/admin/audit?client=${encodeURIComponent(client.clientId)}">Audit events of this client</a></p>
    ${
      builtIn
        ? html`<p class="muted">Latchkey's own client: it cannot be changed or removed here.</p>`
        : html`<h2>Change or remove</h2>
            ${
              client.hasSecret
                ? actionButton(`${path}/secret`, 'Rotate the secret (the old one stops working at once)', csrf)
                : html``
            }
            ${actionButton(`${path}/remove`, `Remove client ${client.name}`, csrf, { danger: true })}`
    }`;
  render(
    request,
    consolePage({ title: `Client ${client.name}`, section: 'clients', chrome: request.chrome(extra), body }),
  );
}

/** The factor settings a factor client's page can change (the rest: `latchkey clients set-factor`). */
function factorForm(request: ConsoleRequest, client: ClientView): ReturnType<typeof html> {
  const factor = client.factor as { session_seconds?: number; unmanaged?: string; preferred_username?: string };
  return html`<section aria-labelledby="factor-settings">
    <h2 id="factor-settings">Factor settings</h2>
    <form method="post" action="/admin/clients/${encodeURIComponent(client.clientId)}/factor" class="stacked">
      ${csrfField(request.chrome().csrf)}
      ${field('session_lifetime', 'How long a proven device is relied on', {
        value: factor.session_seconds ? `${Math.round(factor.session_seconds / 60)}m` : undefined,
        hint: 'A duration such as 30m, 12h or 7d.',
      })}
      ${select(
        'unmanaged',
        'A sign-in without a trusted device gets',
        [
          ['deny', 'access_denied'],
          ['device-context', 'an id_token with device_context.managed false (Okta, generic)'],
        ],
        factor.unmanaged === 'device_context' ? 'device-context' : 'deny',
      )}
      ${field('preferred_username', 'preferred_username carries', {
        value: factor.preferred_username,
        hint: 'email, username or attribute:NAME',
      })}
      <button type="submit">Save factor settings</button>
    </form>
  </section>`;
}
