// The WebAuthn step of the passkey pages (accounts/passkey_views.py). A button with
// data-passkey="get" (sign in) or "create" (a new passkey) asks the browser, with the
// options the server put in the JSON block named by data-options, then posts the
// answer in its form's hidden "credential" field. webauthn-json (allauth's copy,
// served from here) converts between JSON and the browser's binary values.
(function () {
  "use strict";
  function start(button) {
    const form = button.form;
    const box = document.getElementById(button.dataset.errors);
    const say = (text) => {
      if (box) box.textContent = text;
    };
    if (!window.PublicKeyCredential || !window.webauthnJSON) {
      button.disabled = true;
      say(button.dataset.unsupported || "");
      return;
    }
    button.addEventListener("click", async function (event) {
      event.preventDefault();
      say("");
      button.disabled = true;
      try {
        const options = JSON.parse(document.getElementById(button.dataset.options).textContent);
        const answer =
          button.dataset.passkey === "create"
            ? await window.webauthnJSON.create(options)
            : await window.webauthnJSON.get(options);
        form.elements.credential.value = JSON.stringify(answer);
        form.submit();
      } catch (error) {
        button.disabled = false;
        const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
        say((cancelled ? button.dataset.cancelled : button.dataset.failed) || String(error));
      }
    });
  }
  document.querySelectorAll("button[data-passkey]").forEach(start);
})();
