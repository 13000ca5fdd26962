// The account page: who you are, how you sign in (password, authenticator app, devices), and your recent
// activity in words; and the page that sets up an authenticator app.
import type { User } from '../store/users.js';
import { html, page, trustedHtml, type SafeHtml } from './html.js';

/** One line of recent activity, in words. */
export interface ActivityLine {
  at: number;
  text: string;
  /** True for something the person may want to look into (a refusal, a wrong password). */
  warning: boolean;
}

export interface AccountDevice {
  id: string;
  name: string;
  platform: string;
  enrolledAt: number;
  lastSeenAt: number | null;
  /** Expiry of its current certificate, or null when it has none. */
  certificateExpires: number | null;
  status: 'active' | 'revoked';
}

export interface AccountView {
  user: User;
  groups: string[];
  devices: AccountDevice[];
  activity: ActivityLine[];
  csrf: string;
  /** A line confirming what was just done, or asking to sign in again. */
  notice?: string;
  /** Sections other capabilities add (passkeys), after the authenticator app and the devices. */
  sections?: readonly SafeHtml[];
}

const when = (ms: number | null) =>
  ms === null
    ? 'never'
    : new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}" />`;
}

function devicesSection(devices: AccountDevice[], csrf: string): SafeHtml {
  if (devices.length === 0) {
    return html`<p class="muted">
      No device is enrolled to you. Ask your administrator for an enrollment token and run
      <code>latchkey-agent enroll</code> on your device.
    </p>`;
  }
  return html`<ul class="items">
    ${devices.map(
      (device) =>
        html`<li>
          <div>
            <strong>${device.name}</strong> <span class="muted">${device.platform}</span>
            ${device.status === 'revoked' ? html`<span class="badge">removed</span>` : html``}
          </div>
          <div class="muted">
            Enrolled ${when(device.enrolledAt)} · last seen
            ${when(device.lastSeenAt)}${
              device.certificateExpires ? html` · certificate valid until ${when(device.certificateExpires)}` : html``
            }
          </div>
          ${
            device.status === 'active'
              ? html`<form method="post" action="/account/devices/${device.id}/remove" class="inline">
                  ${csrfField(csrf)}
                  <button type="submit" class="secondary small">Remove this device</button>
                </form>`
              : html``
          }
        </li>`,
    )}
  </ul>`;
}

export function accountPage({ user, groups, devices, activity, csrf, notice, sections = [] }: AccountView): string {
  return page({
    title: 'Your account',
    wide: true,
    body: html`<h1>Your account</h1>
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : html``}
      <dl>
        <dt>Username</dt>
        <dd>${user.username}</dd>
        <dt>Email</dt>
        <dd>${user.email ?? '—'}</dd>
        <dt>Groups</dt>
        <dd>${groups.join(', ') || '—'}</dd>
      </dl>
      <h2>Authenticator app</h2>
      <p>
        ${
          user.totpSecretSealed
            ? 'Set up: sign-ins ask for a code from it.'
            : 'Not set up. An authenticator app adds a second factor to your password.'
        }
      </p>
      <p><a class="button secondary" href="/account/totp">${user.totpSecretSealed ? 'Replace it' : 'Set one up'}</a></p>
      <h2>Devices</h2>
      ${devicesSection(devices, csrf)} ${[...sections]}
      <h2>Recent activity</h2>
      ${
        activity.length
          ? html`<ul class="items">
              ${activity.map(
                (line) =>
                  html`<li class="${line.warning ? 'warning' : ''}">
                    <span class="muted">${when(line.at)}</span><br />${line.text}
                  </li>`,
              )}
            </ul>`
          : html`<p class="muted">Nothing yet.</p>`
      }
      <form method="post" action="/account/logout">
        ${csrfField(csrf)}
        <button type="submit" class="secondary">Sign out</button>
      </form>`,
  });
}

/** A sensitive change needs a recent sign-in: the way to it. */
export function reauthenticatePage(what: string): string {
  return page({
    title: 'Sign in again',
    body: html`<h1>Sign in again</h1>
      <p>For your security, sign in again to ${what}. You will come back here.</p>
      <p><a class="button" href="/account/reauthenticate">Sign in again</a></p>
      <p><a href="/account">Back to your account</a></p>`,
  });
}

export interface TotpSetupView {
  username: string;
  /** The otpauth:// URI as an SVG QR code (markup made by the qrcode library from our own URI). */
  qrSvg: string;
  secret: string;
  reference: string;
  csrf: string;
  error?: string;
}

/** Scan the QR code (or type the secret), then prove it works with a code. */
export function totpSetupPage(view: TotpSetupView): string {
  return page({
    title: 'Set up an authenticator app',
    body: html`<h1>Set up an authenticator app</h1>
      <ol>
        <li>Open your authenticator app and add an account by scanning this code.</li>
        <li>Enter the 6-digit code it shows. The app is used for your sign-ins only after that.</li>
      </ol>
      <figure class="qr" aria-label="QR code for your authenticator app">${trustedHtml(view.qrSvg)}</figure>
      <p class="muted">Cannot scan? Enter this key instead: <code>${view.secret}</code></p>
      ${view.error ? html`<p class="error" role="alert" id="form-error">${view.error}</p>` : html``}
      <form method="post" action="/account/totp" novalidate>
        ${csrfField(view.csrf)}
        <input type="hidden" name="reference" value="${view.reference}" />
        <label for="otp">Code from the app</label>
        <input
          id="otp"
          name="otp"
          type="text"
          inputmode="numeric"
          pattern="[0-9]{6}"
          maxlength="6"
          autocomplete="one-time-code"
          required
          autofocus
          ${view.error ? html`aria-invalid="true" aria-describedby="form-error"` : html``}
        />
        <button type="submit">Turn it on</button>
      </form>
      <p><a href="/account">Cancel</a></p>`,
  });
}
