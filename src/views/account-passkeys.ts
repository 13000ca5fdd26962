// The passkey parts of the account page: the list (name, device, created, last used, expiry, synced or
// device-bound) with rename and delete, the registration page (its ceremony run by
// /static/passkey-register.js from options in a data attribute), the delete confirmation, and the page
// that explains why registration needs a fresh sign-in.
import { KIND_TEXT, passkeyKind, type StoredPasskey } from '../passkeys/credential.js';
import { html, page, type SafeHtml } from './html.js';

export interface ListedPasskey extends StoredPasskey {
  /** "linux · laptop-7", when it was registered on a known device. */
  deviceLabel?: string;
}

function day(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString().slice(0, 10);
}

/** The Passkeys section of /account. */
export function passkeysSection(view: {
  passkeys: ListedPasskey[];
  csrf: string;
  now: number;
  notice?: string;
}): SafeHtml {
  const rows = view.passkeys.map((passkey) => {
    const state =
      passkey.revokedAt !== null ? 'revoked by your administrator' : passkey.expiresAt <= view.now ? 'expired' : null;
    return html`<li class="passkey">
      <strong>${passkey.name}</strong>${state ? html` <span class="error">(${state})</span>` : html``}
      <dl>
        <dt>Kind</dt>
        <dd>${KIND_TEXT[passkeyKind(passkey)]}</dd>
        <dt>Device</dt>
        <dd>${passkey.deviceLabel ?? (passkey.deviceId ? 'a removed device' : 'none proven')}</dd>
        <dt>Created</dt>
        <dd>${day(passkey.createdAt)}</dd>
        <dt>Last used</dt>
        <dd>${day(passkey.lastUsedAt)}</dd>
        <dt>Expires</dt>
        <dd>${day(passkey.expiresAt)}</dd>
      </dl>
      <form method="post" action="/account/passkeys/${passkey.id}/rename" class="inline">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <label for="name-${passkey.id}">New name for ${passkey.name}</label>
        <input id="name-${passkey.id}" name="name" type="text" maxlength="64" required value="${passkey.name}" />
        <button type="submit" class="secondary">Rename</button>
      </form>
      <p><a href="/account/passkeys/${passkey.id}/delete">Delete ${passkey.name}…</a></p>
    </li>`;
  });
  return html`<section aria-labelledby="passkeys-heading" id="passkeys">
    <h2 id="passkeys-heading">Passkeys</h2>
    ${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : html``}
    ${
      rows.length
        ? html`<ul class="passkeys">
            ${rows}
          </ul>`
        : html`<p class="muted">You have no passkeys yet.</p>`
    }
    <p><a href="/account/passkeys/new">Register a passkey on this device</a></p>
  </section>`;
}

/** The registration page. */
export function registerPasskeyPage(view: {
  options: unknown;
  csrf: string;
  deviceLabel?: string;
  suggestedName: string;
  error?: string;
}): string {
  return page({
    title: 'Register a passkey',
    body: html`<h1>Register a passkey</h1>
      ${view.error ? html`<p class="error" role="alert" id="form-error">${view.error}</p>` : html``}
      <p>
        Your device will ask for your fingerprint, face or PIN and create a passkey for Latchkey. After that you can
        sign in with it instead of your password.
      </p>
      <p class="muted">
        ${
          view.deviceLabel
            ? `It will be bound to this device (${view.deviceLabel}) unless your device syncs passkeys to other devices.`
            : 'No enrolled device was proven in this session, so the passkey will not prove which device you use.'
        }
      </p>
      <form
        method="post"
        action="/account/passkeys"
        id="passkey-register-form"
        data-options="${JSON.stringify(view.options)}"
      >
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <input type="hidden" name="credential" value="" />
        <label for="passkey-name">Name for this passkey</label>
        <input id="passkey-name" name="name" type="text" maxlength="64" required value="${view.suggestedName}" />
        <button type="button" id="passkey-register-button">Create passkey</button>
        <p class="muted" id="passkey-status" role="status" aria-live="polite"></p>
        <p class="error" id="passkey-error" role="alert" hidden></p>
      </form>
      <p><a href="/account">Back to your account</a></p>
      <script src="/static/simplewebauthn-browser.js" defer></script>
      <script src="/static/passkey-register.js" defer></script>`,
  });
}

/** Asks before deleting a passkey. */
export function deletePasskeyPage(view: { passkey: StoredPasskey; csrf: string }): string {
  return page({
    title: 'Delete passkey',
    body: html`<h1>Delete ${view.passkey.name}?</h1>
      <p>
        You will no longer be able to sign in with this passkey. Also remove it from your device or password manager,
        where it stays until you delete it there.
      </p>
      <form method="post" action="/account/passkeys/${view.passkey.id}/delete">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <button type="submit" class="danger">Delete passkey</button>
      </form>
      <p><a href="/account">Keep it and go back</a></p>`,
  });
}

/** Why a passkey action needs a fresh sign-in with password and a second factor, and what to do. */
export function reauthenticatePage(view: { action: string; retry: string; minutes: number }): string {
  return page({
    title: 'Sign in again',
    body: html`<h1>Sign in again to ${view.action}</h1>
      <p class="error" role="alert">
        To ${view.action}, sign in with your password and your authenticator app (or a device enrolled with Latchkey) —
        within the last ${view.minutes} minutes. A passkey sign-in is not enough for this step.
      </p>
      <p><a href="${view.retry}">Sign in again and continue</a></p>
      <p><a href="/account">Back to your account</a></p>`,
  });
}
