// The passkey parts of the sign-in screens: the offer placed on another method's page (the login page's
// "Sign in with a passkey" button and autofill), and the passkey's own page (factor clients, or when a
// policy asks for a passkey). The ceremony options travel in a data attribute (no inline script: the CSP
// allows scripts from 'self' only); /static/passkey-sign-in.js runs the ceremony and posts the result.
import { html, page, type SafeHtml } from './html.js';
import type { FormContext } from './pages.js';

/** The scripts every passkey ceremony page loads, in order. */
export const PASSKEY_SCRIPTS = ['/static/simplewebauthn-browser.js', '/static/passkey-sign-in.js'];

export interface PasskeyOfferView {
  /** Where the assertion is posted (the passkey method's form action). */
  action: string;
  csrf: string;
  /** PublicKeyCredentialRequestOptionsJSON. */
  options: unknown;
  /** Also offer the passkey in the username field's autofill (conditional mediation). */
  autofill: boolean;
  /** The button's words. */
  label?: string;
}

/** The form, button and live regions of a passkey sign-in, and its scripts. */
export function passkeyOffer(view: PasskeyOfferView): SafeHtml {
  return html`<form
      method="post"
      action="${view.action}"
      id="passkey-form"
      data-options="${JSON.stringify(view.options)}"
      data-autofill="${view.autofill ? 'true' : 'false'}"
    >
      <input type="hidden" name="csrf" value="${view.csrf}" />
      <input type="hidden" name="credential" value="" />
      <button type="button" id="passkey-button" class="secondary">${view.label ?? 'Sign in with a passkey'}</button>
      <p class="muted" id="passkey-status" role="status" aria-live="polite"></p>
      <p class="error" id="passkey-error" role="alert" hidden></p>
    </form>
    ${PASSKEY_SCRIPTS.map((src) => html`<script src="${src}" defer></script>`)}`;
}

/** The passkey's own sign-in page. */
export function passkeyPage(
  form: FormContext,
  view: Omit<PasskeyOfferView, 'action' | 'csrf' | 'autofill'> & {
    error?: string;
    deviceBound: boolean;
    /** Where "Sign in another way" goes (the interaction's start), when another way exists. */
    otherWays?: string;
  },
): string {
  const what = view.deviceBound
    ? 'Use the passkey you registered on this device. Your device will ask for your fingerprint, face or PIN.'
    : 'Use a passkey saved on this device or on your phone. Your device will ask for your fingerprint, face or PIN.';
  return page({
    title: 'Sign in with a passkey',
    body: html`<h1>Sign in with a passkey</h1>
      <p class="muted">to continue to <strong>${form.clientName}</strong></p>
      ${view.error ? html`<p class="error" role="alert" id="form-error">${view.error}</p>` : html``}
      <p>${what} Then you go straight back to ${form.clientName}.</p>
      ${passkeyOffer({
        action: form.action,
        csrf: form.csrf,
        options: view.options,
        autofill: false,
        label: view.label ?? 'Use my passkey',
      })}
      ${
        view.deviceBound
          ? html`<form method="post" action="${form.action}">
              <input type="hidden" name="csrf" value="${form.csrf}" />
              <input type="hidden" name="decline" value="1" />
              <button type="submit" class="secondary">I have no passkey on this device</button>
            </form>`
          : html``
      }
      ${view.otherWays ? html`<p><a href="${view.otherWays}">Sign in another way</a></p>` : html``}
      ${
        form.abortAction
          ? html`<form method="post" action="${form.abortAction}">
              <input type="hidden" name="csrf" value="${form.csrf}" />
              <button type="submit" class="secondary">Cancel and return to ${form.clientName}</button>
            </form>`
          : html``
      }`,
  });
}
