// The end of the sign-in popup: hand the token to the widget that opened it —
// only to the origin the site registered (the server put it in data-origin) —
// and close. Without an opener (popup blocked, opened as a tab) nothing is sent.
(function () {
  var el = document.getElementById("meydan-done");
  if (!el || !window.opener || !el.dataset.origin) return;
  var message = { type: "meydan:signin", status: el.dataset.status };
  if (el.dataset.status === "signed-in") {
    message.token = el.dataset.token;
    message.expiresIn = Number(el.dataset.expiresIn || 0);
    message.me = {
      signed_in: true,
      name: el.dataset.name,
      picture: el.dataset.picture,
      provider: el.dataset.provider || null,
      provider_name: el.dataset.providerName || null
    };
  }
  window.opener.postMessage(message, el.dataset.origin);
  window.setTimeout(function () { window.close(); }, 50);
})();
