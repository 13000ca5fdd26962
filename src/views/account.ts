// The account page: who you are, how you sign in, and your recent sign-in activity.
import type { StoredAuditEvent } from '../store/audit.js';
import type { User } from '../store/users.js';
import { html, page, type SafeHtml } from './html.js';

export interface AccountView {
  user: User;
  groups: string[];
  events: StoredAuditEvent[];
  csrf: string;
  /** Sections other capabilities add (passkeys), in order, after the account's facts. */
  sections?: readonly SafeHtml[];
}

export function accountPage({ user, groups, events, csrf, sections = [] }: AccountView): string {
  return page({
    title: 'Your account',
    body: html`<h1>Your account</h1>
      <dl>
        <dt>Username</dt>
        <dd>${user.username}</dd>
        <dt>Email</dt>
        <dd>${user.email ?? '—'}</dd>
        <dt>Groups</dt>
        <dd>${groups.join(', ') || '—'}</dd>
        <dt>Authenticator app</dt>
        <dd>${user.totpSecretSealed ? 'set up' : 'not set up'}</dd>
      </dl>
      ${[...sections]}
      <h2>Recent activity</h2>
      <ul class="scopes">
        ${events.map((e) => html`<li>${new Date(e.at).toISOString().replace('T', ' ').slice(0, 16)} — ${e.event} ${e.outcome}${e.ip ? ` from ${e.ip}` : ''}</li>`)}
      </ul>
      <form method="post" action="/account/logout">
        <input type="hidden" name="csrf" value="${csrf}" />
        <button type="submit" class="secondary">Sign out</button>
      </form>`,
  });
}
