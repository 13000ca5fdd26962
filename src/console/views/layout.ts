// The console's page shell and the small pieces every console page uses: navigation, notices, labelled
// fields, tables that become stacked cards on a phone, and dates in one format. Everything is escaped by
// the html tag (views/html.ts); no script runs on these pages.
import { html, type SafeHtml } from '../../views/html.js';

export const NAV = [
  ['overview', 'Overview', '/admin'],
  ['users', 'Users', '/admin/users'],
  ['groups', 'Groups', '/admin/groups'],
  ['clients', 'Clients', '/admin/clients'],
  ['devices', 'Devices', '/admin/devices'],
  ['passkeys', 'Passkeys', '/admin/passkeys'],
  ['keys', 'Keys and CA', '/admin/keys'],
  ['policies', 'Policies', '/admin/policies'],
  ['what-if', 'What-if', '/admin/what-if'],
  ['audit', 'Audit', '/admin/audit'],
] as const;

export type Section = (typeof NAV)[number][0];

/** What every console page knows: who is signed in, the form token, and what happened just now. */
export interface Chrome {
  admin: string;
  csrf: string;
  notice?: string;
  error?: string;
}

export interface ConsolePageOptions {
  title: string;
  section: Section;
  chrome: Chrome;
  body: SafeHtml;
}

/** A complete console document: skip link, header with navigation and sign-out, the page in <main>. */
export function consolePage({ title, section, chrome, body }: ConsolePageOptions): string {
  return `<!doctype html>
${
  html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>${title} · Latchkey admin</title>
      <link rel="stylesheet" href="/static/latchkey.css" />
      <link rel="stylesheet" href="/static/console.css" />
      <link rel="icon" href="data:," />
    </head>
    <body class="console">
      <a class="skip" href="#main">Skip to content</a>
      <header class="console-header">
        <p class="brand"><a href="/admin">Latchkey admin</a></p>
        <nav aria-label="Console">
          <ul>
            ${NAV.map(
              ([id, label, href]) =>
                html`<li><a href="${href}" ${id === section ? html`aria-current="page"` : html``}>${label}</a></li>`,
            )}
          </ul>
        </nav>
        <form method="post" action="/admin/logout" class="signout">
          ${csrfField(chrome.csrf)}
          <span class="muted">${chrome.admin}</span>
          <button type="submit" class="secondary small">Sign out</button>
        </form>
      </header>
      <main id="main" class="console-main">
        <h1>${title}</h1>
        ${chrome.notice ? html`<p class="notice" role="status">${chrome.notice}</p>` : html``}
        ${chrome.error ? html`<p class="error" role="alert" id="page-error">${chrome.error}</p>` : html``} ${body}
      </main>
    </body>
  </html>`.value
}`;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}" />`;
}

/** A labelled text input (every console input has a visible label). */
export function field(
  name: string,
  label: string,
  options: {
    value?: string;
    type?: string;
    required?: boolean;
    hint?: string;
    id?: string;
    autocomplete?: string;
    placeholder?: string;
  } = {},
): SafeHtml {
  const id = options.id ?? `f-${name}`;
  return html`<div class="field">
    <label for="${id}">${label}</label>
    <input
      id="${id}"
      name="${name}"
      type="${options.type ?? 'text'}"
      value="${options.value ?? ''}"
      autocomplete="${options.autocomplete ?? 'off'}"
      ${options.placeholder ? html`placeholder="${options.placeholder}"` : html``}
      ${options.required ? html`required` : html``}
      ${options.hint ? html`aria-describedby="${id}-hint"` : html``}
    />
    ${options.hint ? html`<p class="muted hint" id="${id}-hint">${options.hint}</p>` : html``}
  </div>`;
}

/** A labelled <select>; `choices` are [value, label] pairs. */
export function select(
  name: string,
  label: string,
  choices: ReadonlyArray<readonly [string, string]>,
  selected?: string,
  id = `f-${name}`,
): SafeHtml {
  return html`<div class="field">
    <label for="${id}">${label}</label>
    <select id="${id}" name="${name}">
      ${choices.map(
        ([value, text]) =>
          html`<option value="${value}" ${value === selected ? html`selected` : html``}>${text}</option>`,
      )}
    </select>
  </div>`;
}

/** A one-button form posting to `action` (revoke, disable, ...), with extra hidden fields. */
export function actionButton(
  action: string,
  label: string,
  csrf: string,
  options: { danger?: boolean; hidden?: Record<string, string> } = {},
): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfField(csrf)}
    ${Object.entries(options.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
    <button type="submit" class="${options.danger ? 'danger small' : 'secondary small'}">${label}</button>
  </form>`;
}

/**
 * A table whose cells carry their column name (data-label), so that on a narrow screen each row becomes a
 * card of labelled values (console.css) instead of a table wider than the phone.
 */
export function table(caption: string, headers: readonly string[], rows: ReadonlyArray<readonly SafeHtml[]>): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">None yet.</p>`;
  return html`<div class="table-wrap">
    <table class="responsive">
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (cells) =>
            html`<tr>
              ${cells.map((cell, i) => html`<td data-label="${headers[i] ?? ''}">${cell}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** A plain cell value. */
export function text(value: string | number | null | undefined): SafeHtml {
  return html`${value === null || value === undefined || value === '' ? '—' : String(value)}`;
}

/** A status word as a badge (danger styling for revoked, disabled, deny). */
export function badge(value: string): SafeHtml {
  const bad = ['revoked', 'disabled', 'deny', 'failure', 'DENY', 'expired'].includes(value);
  return html`<span class="${bad ? 'badge bad' : 'badge'}">${value}</span>`;
}

/** Epoch milliseconds as `2026-06-18 14:05 UTC` in a <time> element. */
export function when(ms: number | null | undefined): SafeHtml {
  if (ms === null || ms === undefined) return html`—`;
  const date = new Date(ms);
  const shown = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${date.toISOString()}">${shown}</time>`;
}

/** A definition list of label/value pairs. */
export function details(pairs: ReadonlyArray<readonly [string, SafeHtml | string]>): SafeHtml {
  return html`<dl>
    ${pairs.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}
  </dl>`;
}

/**
 * Links between the pages of a list at `path` filtered by `query` (empty values dropped): back to the
 * first page when this is not it, and on to the next when `nextCursor` says there is one, passed as `param`.
 */
export function pager(
  label: string,
  path: string,
  query: Readonly<Record<string, string>>,
  param: string,
  nextCursor: string | undefined,
  labels: { first: string; next: string },
): SafeHtml {
  const filters = Object.fromEntries(Object.entries(query).filter(([k, v]) => v !== '' && k !== param));
  const href = (cursor?: string) =>
    `${path}?${new URLSearchParams(cursor ? { ...filters, [param]: cursor } : filters).toString()}`;
  return html`<nav aria-label="${label}" class="pager">
    ${query[param] ? html`<a href="${href()}">${labels.first}</a>` : html``}
    ${nextCursor ? html`<a href="${href(nextCursor)}" rel="next">${labels.next}</a>` : html``}
  </nav>`;
}
