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
 * Why our own (3 KB gzip with this comment) and not ALTCHA's widget: its build with external CSS
 * (altcha 3.2) is 29.5 KB gzip — more than the whole widget's 20 KB budget — draws its
 * own checkbox, and solves in a Worker made from a blob: URL, which the strict
 * Content-Security-Policy we ask host pages to keep (script-src limited to the Meydan
 * server) forbids; a Worker script from our server cannot start on another site's
 * page either. So we hash where the page runs, in slices of about 30 ms with the page
 * free in between, with a small SHA-256 of our own: crypto.subtle.digest costs a
 * promise per hash (about 70,000 hashes/s in Chromium against about 1.2 million) and
 * exists only in secure contexts. bench/pow_solve.py measures it.
 */
(() => {
  "use strict";

  // SHA-256 (FIPS 180-4) of short ASCII strings, by hand (see above for why). The
  // constants are the fractional parts of the first primes' square and cube roots.
  const K = new Int32Array(64);
  const H = new Int32Array(8);
  for (let n = 2, i = 0; i < 64; n++) {
    let d = 2;
    while (n % d && d * d <= n) d++;
    if (d * d <= n) continue;
    if (i < 8) H[i] = (Math.sqrt(n) % 1) * 2 ** 32;
    K[i++] = (Math.cbrt(n) % 1) * 2 ** 32;
  }
  const W = new Int32Array(64);
  const ror = (x, n) => (x >>> n) | (x << (32 - n));

  // One 64-byte block (in W[0..15]) into the state `st` (changed in place).
  function block(st) {
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15];
      const y = W[i - 2];
      W[i] = ((ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)) + (ror(y, 17) ^ ror(y, 19) ^ (y >>> 10)) + W[i - 7] + W[i - 16]) | 0;
    }
    let a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (let i = 0; i < 64; i++) {
      const t = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const u = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t) | 0;
      d = c;
      c = b;
      b = a;
      a = (t + u) | 0;
    }
    st[0] += a, st[1] += b, st[2] += c, st[3] += d, st[4] += e, st[5] += f, st[6] += g, st[7] += h;
  }

  // Load bytes `from`… of `text` into W (one block), then the 0x80 that ends a message, zeros.
  function load(text, from) {
    W.fill(0, 0, 16);
    const end = Math.min(text.length - from, 64);
    for (let j = 0; j < end; j++) W[j >> 2] |= text.charCodeAt(from + j) << (24 - 8 * (j & 3));
    if (end >= 0 && end < 64) W[end >> 2] |= 0x80 << (24 - 8 * (end & 3));
  }

  // The payload for a challenge, or null when it has no solution in [0, maxnumber].
  // Hashes in slices of about 30 ms, letting the page run in between.
  async function solve(ch) {
    if (!ch || !/^[0-9a-f]{64}$/.test(ch.challenge) || /[^\x20-\x7e]/.test(ch.salt)) return null;
    const want = Array.from({ length: 8 }, (_, i) => parseInt(ch.challenge.slice(i * 8, i * 8 + 8), 16) | 0);
    const salt = ch.salt;
    const whole = salt.length - (salt.length % 64); // the salt's full blocks are hashed once
    const mid = H.slice();
    for (let at = 0; at < whole; at += 64) load(salt, at), block(mid);
    const tail = salt.slice(whole);
    const st = new Int32Array(8);
    for (let n = 0; n <= ch.maxnumber; ) {
      const stop = Math.min(ch.maxnumber, n + 20000);
      for (; n <= stop; n++) {
        const rest = tail + n;
        const bits = (whole + rest.length) * 8;
        st.set(mid);
        load(rest, 0);
        if (rest.length >= 56) block(st), load(rest, 64); // the length needs a second block
        W[15] = bits;
        block(st);
        if (st[0] === want[0] && st.every((v, i) => v === want[i])) {
          const { algorithm, challenge, signature } = ch;
          return btoa(JSON.stringify({ algorithm, challenge, number: n, salt, signature }));
        }
      }
      await new Promise((r) => setTimeout(r));
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
    for (const note of form.querySelectorAll(".respond__pow")) note.hidden = true; // "without JavaScript…"
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
        // Not from within this submit event (a solution ready at once resolves before it
        // ends), where a second submission is silently ignored.
        setTimeout(() => form.requestSubmit(by || undefined));
      });
    });
  }
})();
