// Latchkey: register a passkey. #passkey-register-form carries the WebAuthn creation options (from the
// server, with a single-use challenge bound to this account-page session); the button runs the ceremony
// with SimpleWebAuthn's browser library and posts the response with the name the person chose. Errors
// are announced in #passkey-error (role=alert).
(function () {
  'use strict';
  var form = document.getElementById('passkey-register-form');
  if (!form) return;
  var webauthn = window.SimpleWebAuthnBrowser;
  var button = document.getElementById('passkey-register-button');
  var status = document.getElementById('passkey-status');
  var alertBox = document.getElementById('passkey-error');
  var options = JSON.parse(form.getAttribute('data-options'));

  function fail(text) {
    status.textContent = '';
    alertBox.textContent = text;
    alertBox.hidden = false;
    button.disabled = false;
    button.focus();
  }
  function explain(error) {
    if (error && error.name === 'InvalidStateError') {
      return 'This device already has a passkey for your account. You can use it to sign in.';
    }
    if (error && error.name === 'NotAllowedError') {
      return 'No passkey was created: the request was cancelled or timed out, or this device cannot verify you with a fingerprint, face or PIN.';
    }
    return 'The passkey could not be created' + (error && error.message ? ': ' + error.message : '.');
  }

  if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
    fail('This browser cannot create passkeys.');
    button.disabled = true;
    return;
  }
  button.addEventListener('click', function () {
    var name = form.elements.namedItem('name');
    if (!name.value.trim()) {
      fail('Give the passkey a name first.');
      name.focus();
      return;
    }
    button.disabled = true;
    alertBox.hidden = true;
    status.textContent = 'Follow your browser’s prompt to create the passkey.';
    webauthn.startRegistration({ optionsJSON: options }).then(
      function (response) {
        status.textContent = 'Passkey created. Saving it…';
        form.elements.namedItem('credential').value = JSON.stringify(response);
        form.submit();
      },
      function (error) {
        fail(explain(error));
      },
    );
  });
})();
