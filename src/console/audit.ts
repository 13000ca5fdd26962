// Audit: the log newest first with filters (user, client, event, outcome, since) and an "older" cursor
// link, and one sign-in's whole story (every event of one interaction, oldest first: the methods tried,
// the policy decision with every verdict, how it ended).
import type { AuditPage } from '../admin/audit.js';
import { LatchkeyError } from '../errors.js';
import type { AuditEvent, StoredAuditEvent } from '../store/audit.js';
import { html, type SafeHtml } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { queryValue, render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { badge, consolePage, field, pager, select, table, text, when } from './views/layout.js';

const OUTCOMES: ReadonlyArray<AuditEvent['outcome']> = ['success', 'failure', 'allow', 'deny', 'info'];
const PAGE_SIZE = 50;

export function auditRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/audit', (request) => showAudit(request, deps));
  routes.get('/audit/sign-ins/:uid', (request) => showSignIn(request, deps, String(request.ctx.params.uid ?? '')));
}

/** `since` as the form sends it (a date, or a date and time, in UTC) in epoch ms; undefined when empty. */
function parseSince(value: string): number | undefined {
  if (!value) return undefined;
  const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : `${value}Z`);
  if (Number.isNaN(at))
    throw new LatchkeyError('ERR_USAGE_SINCE', `"since" must be a date like 2026-06-18, not "${value}"`, {
      status: 400,
    });
  return at;
}

async function showAudit(request: ConsoleRequest, deps: ConsoleDeps): Promise<void> {
  const q = {
    user: queryValue(request, 'user'),
    client: queryValue(request, 'client'),
    event: queryValue(request, 'event'),
    outcome: queryValue(request, 'outcome'),
    since: queryValue(request, 'since'),
    before: queryValue(request, 'before'),
    limit: queryValue(request, 'limit'),
  };
  let page: AuditPage = { events: [] };
  let error: string | undefined;
  try {
    page = await deps.admin.audit.search({
      username: q.user || undefined,
      clientId: q.client || undefined,
      event: q.event || undefined,
      outcome: (OUTCOMES as readonly string[]).includes(q.outcome) ? (q.outcome as AuditEvent['outcome']) : undefined,
      since: parseSince(q.since),
      before: q.before || undefined,
      limit: q.limit ? Number(q.limit) : PAGE_SIZE,
    });
  } catch (failure) {
    if (!(failure instanceof LatchkeyError)) throw failure;
    error = failure.message;
    request.ctx.status = 400;
  }
  const body = html`<form method="get" action="/admin/audit" class="filters" role="search">
      ${field('user', 'User', { value: q.user })} ${field('client', 'Client id', { value: q.client })}
      ${field('event', 'Event', { value: q.event, placeholder: 'login.complete' })}
      ${select('outcome', 'Outcome', [['', 'Any'], ...OUTCOMES.map((o) => [o, o] as const)], q.outcome)}
      ${field('since', 'Since (UTC date)', { value: q.since, type: 'date' })}
      <button type="submit" class="small">Filter</button>
    </form>
    ${eventTable(page.events, true)}
    ${pager('Audit pages', '/admin/audit', q, 'before', page.nextCursor, { first: 'Newest', next: 'Older events →' })}`;
  render(request, consolePage({ title: 'Audit', section: 'audit', chrome: request.chrome({ error }), body }));
}

async function showSignIn(request: ConsoleRequest, deps: ConsoleDeps, uid: string): Promise<void> {
  const events = /^[A-Za-z0-9_-]{1,64}$/.test(uid) ? await deps.admin.audit.signIn(uid) : [];
  const first = events[0];
  const last = events[events.length - 1];
  // The first events (the device check) may come before anyone is identified.
  const username = events.find((e) => e.username)?.username;
  const clientId = events.find((e) => e.clientId)?.clientId;
  const body = html`<p><a href="/admin/audit">← Audit log</a></p>
    ${
      events.length === 0
        ? html`<p>No events were recorded for this sign-in.</p>`
        : html`<p>
              ${text(username ?? 'Someone never identified')} signing in to
              <code>${clientId ?? '?'}</code>, from ${text(first?.ip)}, started ${when(first?.at)}; last event
              ${last ? html`<strong>${last.event}</strong> ${badge(last.outcome)}` : html``}.
            </p>
            <ol class="story">
              ${events.map(
                (e) =>
                  html`<li>
                    <p>
                      ${when(e.at)}
                      <strong>${e.event}</strong> ${badge(e.outcome)}${e.username ? html` · ${e.username}` : html``}${
                        e.deviceId
                          ? html` · device <a href="/admin/devices/${encodeURIComponent(e.deviceId)}">${e.deviceId}</a>`
                          : html``
                      }
                    </p>
                    ${
                      e.reasons.length
                        ? html`<ul>
                            ${e.reasons.map((r) => html`<li>${r}</li>`)}
                          </ul>`
                        : html``
                    }
                  </li>`,
              )}
            </ol>`
    }`;
  render(request, consolePage({ title: `Sign-in ${uid}`, section: 'audit', chrome: request.chrome(), body }));
}

function eventTable(events: readonly StoredAuditEvent[], linkSignIns: boolean): SafeHtml {
  return table(
    'Audit events',
    ['When', 'Event', 'Outcome', 'User', 'Client', 'By', 'Address', 'Reasons'],
    events.map((e) => [
      when(e.at),
      linkSignIns && e.signIn
        ? html`<a href="/admin/audit/sign-ins/${encodeURIComponent(e.signIn)}" title="This sign-in's whole story"
            >${e.event}</a
          >`
        : text(e.event),
      badge(e.outcome),
      text(e.username),
      text(e.clientId),
      text(e.actor),
      text(e.ip),
      html`<span class="reasons">${e.reasons.slice(0, 3).join('; ')}${e.reasons.length > 3 ? ' …' : ''}</span>`,
    ]),
  );
}
