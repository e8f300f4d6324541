/*! Meydan proof of work (pow.js): solves the server's ALTCHA challenge (protocol v1)
 * before a guest's comment is posted; docs/bot-defence.md.
 *
 * GET /api/v1/challenge?site&url gives {algorithm, challenge, maxnumber, salt,
 * signature, expires}; we look for the number n in [0, maxnumber] with
 * SHA-256(salt + n) == challenge and send base64 JSON {algorithm, challenge, number,
 * salt, signature} as `altcha`. Without it the comment is not refused: it waits for a
 * moderator.
 *
 * Loaded only when it is needed: the HTML comment section includes it (deferred), and
 * it starts solving when the reader first focuses the form; the widget (embed.js)
 * loads it from its own server when the reader first focuses its form.
 *
 * Why our own ~1 KB and not ALTCHA's widget: its build with external CSS (altcha 3.2)
 * is 29.5 KB gzip, more than the whole widget's 20 KB budget, draws its own checkbox,
 * and runs its solver in a Worker made from a blob: URL, which the strict
 * Content-Security-Policy we ask host pages to keep (script-src limited to the Meydan
 * server) forbids; a Worker from our server cannot start on another site's page
 * either. So the hashes run where the page is, but through crypto.subtle.digest,
 * which hashes off the main thread: we await them in batches and the page stays
 * responsive. crypto.subtle exists only in secure contexts (https, localhost, .onion
 * in Tor Browser): elsewhere we send nothing and the comment is held.
 */
(() => {
  "use strict";

  const BATCH = 1000;

  // The payload for a challenge, or null when it has no solution or cannot be computed.
  async function solve(ch) {
    const subtle = window.crypto && crypto.subtle;
    if (!subtle || !ch || !ch.challenge) return null;
    const enc = new TextEncoder();
    const head = parseInt(ch.challenge.slice(0, 8), 16); // compare 4 bytes, then all 32
    const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
    for (let n = 0; n <= ch.maxnumber; n += BATCH) {
      const jobs = [];
      for (let i = n; i < n + BATCH && i <= ch.maxnumber; i++) jobs.push(subtle.digest("SHA-256", enc.encode(ch.salt + i)));
      const hashes = await Promise.all(jobs);
      for (let j = 0; j < hashes.length; j++) {
        if (new DataView(hashes[j]).getUint32(0) === head && hex(hashes[j]) === ch.challenge) {
          const { algorithm, challenge, salt, signature } = ch;
          return btoa(JSON.stringify({ algorithm, challenge, number: n + j, salt, signature }));
        }
      }
    }
    return null;
  }

  // A Solver fetches a challenge from `url` and solves it once; get() gives the same
  // promise until the solution is used or close to expiring. Resolves to the
  // payload, "" when the server asks for none, or null when it could not be done.
  function solver(url) {
    let job = null;
    let until = 0;
    const get = () => {
      if (!job || Date.now() > until) {
        until = Infinity;
        job = fetch(url, { credentials: "omit", cache: "no-store" })
          .then((r) => (r.ok ? r.json() : null))
          .then((ch) => {
            if (!ch) return null;
            if (!ch.enabled) return "";
            until = ch.expires * 1000 - 60000;
            return solve(ch);
          })
          .catch(() => null);
      }
      return job;
    };
    return { get, used: () => (job = null) };
  }

  window.meydanPow = { solve, solver };

  // The HTML section: <form data-meydan-pow="/api/v1/challenge?…"> with <input name="altcha">.
  for (const form of document.querySelectorAll("form[data-meydan-pow]")) {
    const input = form.elements.altcha;
    if (!input) continue;
    const s = solver(form.dataset.meydanPow);
    const status = form.querySelector(".respond__pow-status");
    let ready = false;
    input.value = "";
    form.addEventListener("focusin", () => s.get(), { once: true });
    form.addEventListener("submit", (e) => {
      const by = e.submitter;
      if (ready || (by && by.hasAttribute("formaction"))) return; // sign-in icons post elsewhere
      e.preventDefault();
      if (status) status.hidden = false;
      if (by) by.disabled = true;
      s.get().then((payload) => {
        input.value = payload || "";
        ready = true;
        if (by) by.disabled = false;
        form.requestSubmit(by || undefined);
      });
    });
  }
})();
