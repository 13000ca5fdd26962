// Latchkey: sign in with a passkey. The page's #passkey-form carries the WebAuthn request options (from
// the server, with a single-use challenge bound to this sign-in); the button, or the username field's
// autofill when the form asks for it, runs the ceremony with SimpleWebAuthn's browser library, and the
// response is posted with the form. Errors are announced in #passkey-error (role=alert).
(function () {
  'use strict';
  var form = document.getElementById('passkey-form');
  if (!form) return;
  var webauthn = window.SimpleWebAuthnBrowser;
  var button = document.getElementById('passkey-button');
  var status = document.getElementById('passkey-status');
  var alertBox = document.getElementById('passkey-error');
  var options = JSON.parse(form.getAttribute('data-options'));

  function say(text) {
    status.textContent = text;
  }
  function fail(text) {
    say('');
    alertBox.textContent = text;
    alertBox.hidden = false;
    button.disabled = false;
    button.focus();
  }
  function submit(response) {
    say('Passkey accepted. Signing you in…');
    form.elements.namedItem('credential').value = JSON.stringify(response);
    form.submit();
  }
  function explain(error) {
    if (error && error.name === 'NotAllowedError') {
      return 'No passkey was used: the request was cancelled or timed out, or this device has no passkey for this site that can verify you. Try again, or sign in another way.';
    }
    if (error && error.name === 'SecurityError') return 'This page may not use passkeys for this site.';
    return 'The passkey could not be used' + (error && error.message ? ': ' + error.message : '.');
  }

  if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
    button.disabled = true;
    fail('This browser cannot use passkeys. Sign in another way.');
    button.disabled = true;
    return;
  }
  button.addEventListener('click', function () {
    button.disabled = true;
    alertBox.hidden = true;
    say('Follow your browser’s prompt to use your passkey.');
    webauthn.startAuthentication({ optionsJSON: options }).then(submit, function (error) {
      fail(explain(error));
    });
  });
  if (form.getAttribute('data-autofill') === 'true') {
    webauthn.browserSupportsWebAuthnAutofill().then(function (supported) {
      if (!supported) return;
      webauthn.startAuthentication({ optionsJSON: options, useBrowserAutofill: true }).then(submit, function (error) {
        // The button's ceremony aborts the autofill one; that is not the person's problem.
        if (error && error.name !== 'AbortError') fail(explain(error));
      });
    });
  }
})();
