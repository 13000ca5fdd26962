// The sign-in screens: password, one-time code, consent, and the error page a person sees when an
// interaction cannot continue. Each takes plain values and returns a complete HTML document.
import { html, page, type SafeHtml } from './html.js';

export interface FormContext {
  action: string;
  csrf: string;
  clientName: string;
  /** Where "Cancel and return" posts; no cancel button without it. */
  abortAction?: string;
}

function errorBlock(message: string | undefined): SafeHtml {
  return message ? html`<p class="error" role="alert" id="form-error">${message}</p>` : html``;
}

function hidden(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}" />`;
}

/**
 * Another sign-in method's contribution to a page (the passkey's button and autofill on the login page):
 * its markup, whether it needs scripts, and whether it offers itself in the username field's autofill.
 */
export interface PageOffer {
  html: SafeHtml;
  scripts: boolean;
  autofill: boolean;
}

/** Username and password, with the offers of other methods that can sign the person in instead. */
export function loginPage(
  form: FormContext,
  options: { username?: string; error?: string; notice?: string; offers?: readonly PageOffer[] } = {},
): string {
  const offers = options.offers ?? [];
  return page({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
      <p class="muted">to continue to <strong>${form.clientName}</strong></p>
      ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : html``}
      ${errorBlock(options.error)}
      <form method="post" action="${form.action}" novalidate>
        ${hidden(form.csrf)}
        <label for="username">Username or email</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="${offers.some((offer) => offer.autofill) ? 'username webauthn' : 'username'}"
          autocapitalize="none"
          spellcheck="false"
          required
          value="${options.username ?? ''}"
          ${options.error ? html`aria-describedby="form-error"` : html``}
          ${options.username ? html`` : html`autofocus`}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          ${options.error ? html`aria-invalid="true" aria-describedby="form-error"` : html``}
          ${options.username ? html`autofocus` : html``}
        />
        <button type="submit">Sign in</button>
      </form>
      ${
        offers.length
          ? html`<p class="muted or">or</p>
              ${offers.map((offer) => offer.html)}`
          : html``
      }
      ${abortForm(form)}`,
  });
}

/** The six-digit code from an authenticator app. */
export function totpPage(form: FormContext, options: { error?: string } = {}): string {
  return page({
    title: 'Verification code',
    body: html`<h1>Enter your verification code</h1>
      <p class="muted">Open your authenticator app and enter the 6-digit code for Latchkey.</p>
      ${errorBlock(options.error)}
      <form method="post" action="${form.action}" novalidate>
        ${hidden(form.csrf)}
        <label for="otp">Verification code</label>
        <input
          id="otp"
          name="otp"
          type="text"
          inputmode="numeric"
          pattern="[0-9]{6}"
          maxlength="6"
          autocomplete="one-time-code"
          required
          ${options.error ? html`aria-invalid="true" aria-describedby="form-error"` : html``}
          autofocus
        />
        <button type="submit">Verify</button>
      </form>
      ${abortForm(form)}`,
  });
}

/** What a third-party application asks for. */
export function consentPage(form: FormContext, scopes: string[], claims: string[]): string {
  return page({
    title: 'Allow access',
    body: html`<h1>Allow ${form.clientName}?</h1>
      <p><strong>${form.clientName}</strong> is asking to:</p>
      <ul class="scopes">
        ${scopes.map((scope) => html`<li>${describeScope(scope)}</li>`)}${claims.map((claim) => html`<li>read your ${claim}</li>`)}
      </ul>
      <form method="post" action="${form.action}">
        ${hidden(form.csrf)}
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
      </form>`,
  });
}

function abortForm(form: FormContext): SafeHtml {
  if (!form.abortAction) return html``;
  return html`<form method="post" action="${form.abortAction}">
    ${hidden(form.csrf)}
    <button type="submit" class="secondary">Cancel and return to ${form.clientName}</button>
  </form>`;
}

const SCOPE_TEXT: Record<string, string> = {
  openid: 'know who you are',
  profile: 'read your name and username',
  email: 'read your email address',
  groups: 'read the groups you belong to',
  offline_access: 'stay signed in when you are not using it',
};

function describeScope(scope: string): string {
  return SCOPE_TEXT[scope] ?? `use "${scope}"`;
}

/** A dead end that explains itself: what happened and what to do. */
export function errorPage(title: string, message: string, detail?: string): string {
  return page({
    title,
    body: html`<h1>${title}</h1>
      <p class="error" role="alert">${message}</p>
      ${detail ? html`<p class="muted">${detail}</p>` : html``}`,
  });
}
