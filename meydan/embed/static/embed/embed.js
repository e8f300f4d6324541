/*! Meydan comments widget (embed.js; its styles are embed.css, loaded from the same server).
 *
 * EMBEDDING. Put this where the comments belong (KEY is the site's key, printed by
 * `meydan site add` / `meydan site list`):
 *
 *   <div id="meydan-thread"></div>
 *   <script src="https://comments.example.org/embed.js" data-meydan-site="KEY" async></script>
 *   <noscript><a href="https://comments.example.org/embed/thread/?site=KEY&url=PAGE_URL">Read and write comments</a></noscript>
 *
 * Without JavaScript the widget shows nothing, so keep the <noscript> link: it leads to
 * the same thread on the Meydan server (PAGE_URL is this page's URL, URL-encoded).
 *
 * Optional attributes on the <script>:
 *   data-meydan-url    the page's URL; default: <link rel="canonical">, else the address
 *                      without its #hash. The thread belongs to the URL's path.
 *   data-meydan-title  the title a new thread gets; default: document.title
 *   data-meydan-theme  "light", "dark" or "auto" (auto: the reader's prefers-color-scheme);
 *                      default: match the text colour the host page gives #meydan-thread
 *   data-meydan-lang   en, az, ru, tr or fa; default: <html lang>, else the browser's, else
 *                      the site's. Readers can change it in the widget.
 *
 * COUNTS. Any <span data-meydan-count="/path/or/url"></span> on the page gets "N comments"
 * (one request for all of them); pages with counts only need no #meydan-thread.
 *
 * THEMING. Set --meydan-text, --meydan-muted, --meydan-accent, --meydan-border,
 * --meydan-surface, --meydan-error, --meydan-radius, --meydan-font (and --meydan-pending)
 * on #meydan-thread or any ancestor. All classes start with "meydan-".
 *
 * The page's origin must be registered for the site. A page with a Content-Security-Policy
 * must allow the Meydan server in script-src, style-src, img-src and connect-src; the
 * widget needs nothing else (no inline styles, no eval) and talks to no other host.
 * Sign-in opens a popup on the Meydan server, which starts only when the browser says a
 * registered page opened it: keep the default referrer policy (or any that sends the
 * origin; not "no-referrer"). The token it hands back is kept in sessionStorage,
 * guests' edit keys (valid for the site's edit window) in localStorage, and so is a
 * guest's voter id once they up-vote (the API issues it: a Meydan cookie would be a
 * third-party cookie here; meydan/accounts/voters.py says more).
 *
 * How the code is organised: meydan/embed/js/README.md.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector("script[data-meydan-site]");
  if (!script || !script.src) return;
  const ORIGIN = new URL(script.src, location.href).origin;
  const API = ORIGIN + "/api/v1/";
  const opts = script.dataset;
  const SITE = opts.meydanSite || "";
  const KEY = "meydan:" + ORIGIN + ":" + SITE + ":";

  /* ---------- small tools ---------- */

  // h("p", {c: "x y", text: "…"}, child…): an element; class names get the "meydan-" prefix,
  // text goes in as text, on* are listeners, other props are attributes. Never HTML.
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === "c") el.className = v.split(" ").map((n) => "meydan-" + n).join(" ");
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat(2)) if (kid != null && kid !== false) el.append(kid);
    return el;
  }
  const button = (c, text, onclick, props) =>
    h("button", { type: "button", c, text, onclick, ...props });

  // A URL on the Meydan server (paths come from the API), or null: no other host.
  function abs(u) {
    try {
      const url = new URL(u, ORIGIN);
      return u && url.origin === ORIGIN ? url.href : null;
    } catch (e) {
      return null;
    }
  }
  // Only http(s) links for authors' websites (never javascript: and the like).
  function webLink(u) {
    try {
      return /^https?:$/.test(new URL(u).protocol) ? u : null;
    } catch (e) {
      return null;
    }
  }

  // Storage per Meydan server and site; silently nothing when storage is blocked.
  function kv(area, key, value) {
    try {
      const s = window[area + "Storage"];
      if (value === undefined) return JSON.parse(s.getItem(KEY + key));
      if (value === null) s.removeItem(KEY + key);
      else s.setItem(KEY + key, JSON.stringify(value));
    } catch (e) {
      /* private mode or blocked: the widget works without memory */
    }
    return null;
  }

  const plural = (n) => interpolate(ngettext("%(n)s comment", "%(n)s comments", n), { n: NF.format(n) });

  // "5 minutes ago" within a week, then "7 June 2015 at 11:05", in the reader's language (Intl).
  function ago(d) {
    const s = Math.max(0, (Date.now() - d) / 1000);
    if (s >= 604800) return WHEN.format(d);
    const [n, unit] =
      s < 60 ? [s, "second"] : s < 3600 ? [s / 60, "minute"] : s < 86400 ? [s / 3600, "hour"] : [s / 86400, "day"];
    const k = Math.floor(n);
    if (!POOR) return RTF.format(-k, unit);
    if (unit === "second") return gettext("just now");
    const f = { minute: ngettext("%(n)s minute ago", "%(n)s minutes ago", k), hour: ngettext("%(n)s hour ago", "%(n)s hours ago", k) };
    return interpolate(f[unit] || ngettext("%(n)s day ago", "%(n)s days ago", k), { n: NF.format(k) });
  }
  function timeEl(iso) {
    const d = new Date(iso);
    return h("time", { datetime: iso, title: WHENZ.format(d), text: ago(d) });
  }

  /* ---------- words ---------- */

  // The reader's language: the one they chose in the widget (remembered), the script's
  // data-meydan-lang, the page's <html lang>, the browser's, else the site's default.
  const LANGS = { en: "English", az: "Azərbaycanca", ru: "Русский", tr: "Türkçe", fa: "فارسی" };
  const pick = (l) => ((l = String(l || "").toLowerCase().split(/[-_]/)[0]), Object.keys(LANGS).includes(l) ? l : "");
  let lang = [kv("local", "lang"), opts.meydanLang, document.documentElement.lang, ...(navigator.languages || [])].map(pick).find(Boolean);
  // Set by the server that serves embed.js (meydan/embed/views.py): the catalogues' version.
  const WORDS = "__MEYDAN_WORDS__";
  let CAT = {}; // msgid -> translation, or [forms] for plurals (Django's JSONCatalog)
  let words, PR, NF, RTF, WHEN, WHENZ, POOR;

  function setLang(l) {
    lang = l = pick(l) || "en";
    const loc = l === "en" ? "en-GB" : l;
    PR = new Intl.PluralRules(loc);
    NF = new Intl.NumberFormat(loc);
    RTF = new Intl.RelativeTimeFormat(loc, { numeric: "auto" });
    // Chromium's ICU data has no Azerbaijani words ("-5 min", "2015 M06 7"): then the
    // catalogue's words for "5 minutes ago", and dates in digits.
    POOR = /^-/.test(RTF.format(-5, "minute"));
    const o = { day: POOR ? "2-digit" : "numeric", month: POOR ? "2-digit" : "long", year: "numeric", hour: "2-digit", minute: "2-digit" };
    WHEN = new Intl.DateTimeFormat(loc, o);
    WHENZ = new Intl.DateTimeFormat(loc, { ...o, timeZoneName: "short" });
    CAT = {};
    words =
      l === "en"
        ? Promise.resolve()
        : fetch(ORIGIN + "/embed/i18n/" + l + ".json?v=" + WORDS, { credentials: "omit" })
            .then((r) => r.json())
            .then((j) => l === lang && (CAT = j.catalog || {}), () => {}); // none: English
    return words;
  }

  // Every word the widget shows goes through these (named as Django's JavaScript
  // catalogue names them, so `makemessages -d djangojs` finds them); English until the
  // catalogue has come. The plural form is CLDR's category (Intl.PluralRules) in gettext's
  // order — one, few, many (ru); one, other (az, tr, fa) — not the catalogue's formula,
  // which would need eval (host pages may forbid it with their CSP).
  const gettext = (s) => {
    const t = CAT[s];
    return t == null ? s : typeof t === "string" ? t : t[0];
  };
  const ngettext = (one, many, n) => {
    const t = CAT[one];
    return t ? t[Math.min({ one: 0, few: 1, many: 2 }[PR.select(n)] ?? 9, t.length - 1)] : n === 1 ? one : many;
  };
  // interpolate("%(n)s new", {n: 2}): named placeholders, as Django's own.
  const interpolate = (fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (m, k) => (k in obj ? String(obj[k]) : m));

  /* ---------- the API ---------- */

  let auth = kv("session", "auth"); // {token, exp, me} of a signed-in reader
  let verifier = ""; // the secret of the sign-in under way (its SHA-256 went to the popup)
  let next = null; // {v, c}: a verifier and its challenge, ready before the click
  if (auth && !(auth.exp > Date.now())) auth = kv("session", "auth", null);
  let fresh = false; // after a change, revalidate cached thread pages

  // JSON in and out; errors are thrown as {status, message, fields, retry}.
  async function api(method, path, body, headers = {}, withAuth = false) {
    if (body) headers["Content-Type"] = "application/json";
    if (withAuth && auth) headers.Authorization = "Bearer " + auth.token;
    let r;
    let data = null;
    try {
      r = await fetch(API + path + (lang ? (path.includes("?") ? "&" : "?") + "lang=" + lang : ""), {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        credentials: "omit",
        cache: fresh && method === "GET" ? "no-cache" : "default",
      });
    } catch (e) {
      throw { message: gettext("The comment server could not be reached. Check your connection and try again.") };
    }
    if (r.status === 204) return null;
    try {
      data = await r.json();
    } catch (e) {
      /* not JSON: handled below */
    }
    if (!r.ok || !data) {
      const e = (data && data.error) || {};
      throw {
        status: r.status,
        message: e.message || interpolate(gettext("Something went wrong (%(status)s). Please try again in a moment."), { status: r.status }),
        fields: e.fields || {},
        retry: Number(r.headers.get("Retry-After")) || 0,
      };
    }
    return data;
  }

  /* ---------- counts: <span data-meydan-count="…"> ---------- */

  async function counts() {
    await words;
    const spans = [...document.querySelectorAll("[data-meydan-count]")];
    const urls = [...new Set(spans.map((s) => s.dataset.meydanCount).filter(Boolean))];
    for (let i = 0; i < urls.length; i += 100) {
      const q = new URLSearchParams({ site: SITE });
      for (const u of urls.slice(i, i + 100)) q.append("url", u);
      api("GET", "counts?" + q)
        .then((r) => {
          for (const s of spans) {
            const n = r.counts[s.dataset.meydanCount];
            if (n != null) s.textContent = plural(n);
          }
        })
        .catch(() => {});
    }
  }

  /* ---------- the thread ---------- */

  let root, cfg, thread, pageUrl, pageTitle;
  let list, heading, orderNav, more, moreBtn, moreErr, live, respond;
  // The editors' choices: the pinned block, "All comments · Picks (N)", whether the
  // Picks view is shown, and whether the signed-in reader moderates this site (/me
  // says so: the thread's JSON is the same for everyone, so the buttons are added here).
  let pinnedBox, viewsNav;
  let picksView = false;
  let mod = false;
  const byId = new Map(); // id -> comment (API shape)
  const els = new Map(); // id -> its <li>
  let own = kv("local", "own") || {}; // id -> {t: edit token or null, u: until (ms), b: Markdown}

  function saveOwn() {
    for (const id in own) if (!(own[id].u > Date.now())) delete own[id];
    kv("local", "own", own);
  }

  const announce = (text) => {
    live.textContent = "";
    setTimeout(() => (live.textContent = text), 50);
  };

  function threadQuery(page, order) {
    const q = new URLSearchParams({ site: SITE, url: pageUrl, page });
    if (order) q.set("order", order);
    if (picksView) q.set("picks", "true");
    return api("GET", "threads?" + q);
  }

  async function start() {
    if (!lang) lang = await api("GET", "sites/" + encodeURIComponent(SITE)).then((s) => s.default_language, () => "");
    setLang(lang);
    counts();
    root = document.getElementById("meydan-thread");
    if (!root || root.dataset.meydanReady) return;
    root.dataset.meydanReady = "1";
    if (!document.querySelector("link[data-meydan-css]")) {
      document.head.append(h("link", { rel: "stylesheet", href: ORIGIN + "/embed.css", "data-meydan-css": "" }));
    }
    let theme = opts.meydanTheme;
    if (!theme) {
      // Match the host page: dark text around us means a light page, and the reverse.
      const rgb = (getComputedStyle(root).color.match(/[\d.]+/g) || []).map(Number);
      if (rgb.length > 2) theme = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 < 128 ? "light" : "dark";
    }
    root.classList.add("meydan");
    if (theme === "light" || theme === "dark") root.classList.add("meydan--" + theme);
    const canonical = document.querySelector('link[rel="canonical"]');
    pageUrl = opts.meydanUrl || (canonical && canonical.href) || location.href.split("#")[0];
    pageTitle = opts.meydanTitle || document.title;
    load();
  }

  async function load() {
    root.lang = lang;
    root.dir = lang === "fa" ? "rtl" : "ltr";
    root.replaceChildren(h("p", { c: "loading", text: gettext("Loading comments…") }));
    try {
      [cfg, thread] = await Promise.all([
        api("GET", "sites/" + encodeURIComponent(SITE)),
        threadQuery(1, kv("local", "order")),
        words,
      ]);
    } catch (e) {
      root.replaceChildren(
        h("p", { c: "form-errors", role: "alert", text: gettext("The comments could not be loaded.") + " " + e.message }),
        button("button", gettext("Try again"), load)
      );
      return;
    }
    render();
    liveStart();
    myVotes();
    if (auth) checkMe();
    // A permalink leads back here with #comment-ID: find it, loading more pages if need be.
    const target = /^#comment-(\d+)$/.exec(location.hash);
    if (target) {
      const id = Number(target[1]);
      for (let i = 0; i < 20 && !els.has(id) && thread.page < thread.pages; i++) await loadMore();
      const li = els.get(id);
      if (li) {
        li.classList.add("meydan-comment--target");
        li.scrollIntoView({ block: "start" });
      }
    }
    ticker =
      ticker ||
      setInterval(() => {
        for (const t of root.querySelectorAll("time")) t.textContent = ago(new Date(t.dateTime));
      }, 60000);
  }

  // The reader's choice of language: remembered, and the widget drawn again in it.
  let ticker = 0;
  async function switchLang(l) {
    kv("local", "lang", l);
    const draft = form ? fields.body.input.value : "";
    setLang(l);
    cancelReply();
    form = null;
    els.clear();
    counts();
    await load();
    if (form && draft) fields.body.input.value = draft;
    root.querySelector(".meydan-lang select")?.focus();
  }

  /* ---------- live updates (meydan/embed/js/README.md) ---------- */

  let liveBtn, liveT, livePoll = 1.4, liveBad = 0, liveNow = 0, liveES, liveNoES = 0;
  const liveLater = (ms) => (clearTimeout(liveT), (liveT = setTimeout(liveAsk, ms)));
  const liveMs = () => livePoll * (667 + Math.random() * 667);

  function liveStart() {
    heading.after((liveBtn = button("button live", "", liveGet, { hidden: true })));
    document.addEventListener("visibilitychange", () =>
      document.hidden ? liveES && (liveES.close(), (liveES = 0)) : liveT || liveES || liveLater(Math.random() * 1e3)
    );
    liveLater(liveMs());
  }

  async function liveAsk() {
    liveT = 0;
    if (document.hidden || !livePoll || liveES) return;
    let ms = liveMs(), s;
    const q = "?" + new URLSearchParams({ site: SITE, url: pageUrl });
    try {
      const r = await fetch(API + "live" + q, { credentials: "omit", cache: "no-cache" });
      if (r.status > 428) ms += (+r.headers.get("Retry-After") || 60) * 1e3;
      else if (!r.ok) livePoll = 0;
      else ({ count: liveNow, poll: livePoll, stream: s } = await r.json()), (liveBad = 0), liveShow();
      // A stream: listen there; if it fails, poll (5 min)
      if (s && window.EventSource && Date.now() > liveNoES) {
        liveES = new EventSource(new URL(s, API) + q);
        liveES.onmessage = (e) => ((liveNow = JSON.parse(e.data).count), liveShow());
        liveES.onerror = () => liveES.readyState > 1 && ((liveES = 0), (liveNoES = Date.now() + 3e5), liveLater(ms));
        return;
      }
    } catch (e) {
      ms = Math.min(ms * 2 ** ++liveBad, 3e5);
    }
    if (livePoll) liveLater(ms);
  }

  function liveShow() {
    if (liveNow < thread.count) (thread.count = liveNow), update();
    const n = liveNow - thread.count;
    liveBtn.hidden = n < 1 || picksView;
    liveBtn.textContent = interpolate(ngettext("%(n)s new comment — show", "%(n)s new comments — show", n), { n });
  }

  async function liveGet() {
    const had = new Set(els.keys());
    const n = liveNow - thread.count;
    const add = () => [...list.querySelectorAll("li[id]")].filter((li) => !had.has(+li.id.slice(8)));
    liveBtn.disabled = fresh = true;
    try {
      for (let p = 1; p <= thread.page; p++) {
        const t = await threadQuery(p, thread.order);
        Object.assign(thread, { pages: t.pages, count: t.count, pinned: t.pinned, picks: t.picks });
        fill(t.comments);
      }
      if (thread.order === "newest") list.prepend(...add().filter((li) => li.parentNode === list));
      update();
      showVotes();
      if (add()[0]) focusOn(add()[0].firstChild);
      announce(interpolate(ngettext("%(n)s new comment shown.", "%(n)s new comments shown.", n), { n }));
    } catch (e) {
      announce(e.message);
    }
    liveBtn.disabled = false;
    liveShow();
  }

  // A failed answer (the network, a busy server) is asked again, 1, 2, 4 s later: one
  // lost reply would otherwise leave a moderator without their buttons until a reload.
  function checkMe(tries = 0) {
    api("GET", "me?site=" + encodeURIComponent(SITE), null, {}, true)
      .then(
        (m) => (m.signed_in ? ((auth.me = m), kv("session", "auth", auth), setMod(!!m.moderator)) : signOut(true)),
        (x) => (x.status === 401 ? signOut(true) : tries < 3 && auth && setTimeout(() => checkMe(tries + 1), 1000 << tries))
      )
      .then(showAuth)
      .catch(() => {});
  }

  function setMod(on) {
    if (mod !== on) (mod = on), redraw();
  }

  // Draw every comment again (badges and moderators' buttons follow the thread).
  function redraw() {
    if (!list) return;
    for (const [id, li] of els) li.firstChild.replaceWith(articleEl(byId.get(id), picksView));
    update();
    showVotes();
  }

  function render() {
    heading = h("h2", { c: "comments__title", id: "meydan-comments-title" });
    viewsNav = h("nav", { c: "views", "aria-label": gettext("Which comments") });
    pinnedBox = h("section", { c: "pinned", "aria-label": gettext("Pinned by the editors") });
    orderNav = h("nav", { c: "order", "aria-label": gettext("Comment order") });
    const langs = Object.entries(LANGS).map(([k, name]) => h("option", { value: k, lang: k, selected: k === lang, text: name }));
    const langBox = h("p", { c: "lang" }, h("select", { "aria-label": gettext("Language"), onchange: (e) => switchLang(e.target.value) }, langs));
    list = h("ol", { c: "comment-list" });
    moreBtn = button("button button--secondary", gettext("Load more comments"), () => loadMore(true));
    moreErr = h("span", { c: "field__error", role: "alert" });
    more = h("p", { c: "more" }, moreBtn, moreErr);
    live = h("p", { c: "sr", role: "status" });
    respond = h("div", { c: "respond", id: "meydan-respond" });
    root.replaceChildren(
      h("section", { c: "comments", "aria-labelledby": "meydan-comments-title" }, langBox, heading, viewsNav, pinnedBox, orderNav, list, more, respond, live)
    );
    root.firstChild.append(feedLinks());
    fill(thread.comments);
    buildForm();
    update();
    showVotes();
  }

  // "Follow these comments: RSS feed · Atom feed" (meydan/feeds on the Meydan server).
  function feedLinks() {
    const q = "?url=" + encodeURIComponent(pageUrl);
    const a = (fmt, text) => h("a", { href: ORIGIN + "/feeds/" + encodeURIComponent(SITE) + "/thread." + fmt + q, type: "application/" + fmt + "+xml", text });
    return h("p", { c: "feeds" }, gettext("Follow these comments:"), " ", a("rss", gettext("RSS feed")), " · ", a("atom", gettext("Atom feed")));
  }

  function update() {
    heading.replaceChildren(plural(thread.count));
    if (thread.title) heading.append(" ", h("span", { c: "comments__on", text: interpolate(gettext("on “%(title)s”"), { title: thread.title }) }));
    orderNav.hidden = picksView || !(thread.pages > 1 || thread.count > 1);
    viewsNav.hidden = !(thread.picks || picksView);
    viewsNav.replaceChildren(
      ...[false, true].flatMap((p, i) => [
        i ? "·" : "",
        button("link", p ? interpolate(gettext("Picks (%(n)s)"), { n: NF.format(thread.picks) }) : gettext("All comments"), () => setView(p), { "aria-pressed": String(picksView === p) }),
      ])
    );
    const pin = !picksView && thread.pinned;
    pinnedBox.hidden = !pin;
    pinnedBox.replaceChildren(...(pin ? [h("h3", { c: "pinned__title", text: gettext("Pinned by the editors") }), articleEl(pin, "pinned-")] : []));
    orderNav.replaceChildren(
      ...Object.entries(orders()).flatMap(([o, label], i) => [
        i ? "·" : "",
        button("link", label, () => setOrder(o), {
          "aria-pressed": String(thread.order === o),
        }),
      ])
    );
    more.hidden = thread.page >= thread.pages;
  }

  // Append a page's comments (tree order: each one's parent came before it).
  function fill(comments) {
    const stack = [];
    let first = null;
    for (const c of comments) {
      let li = els.get(c.id);
      if (!li) {
        byId.set(c.id, c);
        li = commentEl(c);
        const parent = !picksView && c.depth > 0 && stack[c.depth - 1];
        (parent ? children(parent) : list).append(li);
        first = first || li;
      }
      stack[c.depth] = li;
      stack.length = c.depth + 1;
    }
    return first;
  }

  const children = (li) =>
    li.querySelector(":scope > .meydan-children") || li.appendChild(h("ol", { c: "children" }));

  function commentEl(c) {
    const li = h("li", { c: "comment depth-" + (picksView ? 0 : c.depth), id: "comment-" + c.id }, articleEl(c, picksView));
    els.set(c.id, li);
    return li;
  }

  // `card`: shown out of its place (the pinned block: "pinned-", the Picks view: true),
  // with a link to it in the discussion instead of Reply.
  function articleEl(c, card) {
    if (c.status === "removed") {
      return h("article", { c: "comment__body comment__body--removed" }, h("p", { text: gettext("This comment is not available.") }));
    }
    const a = c.author;
    const provider = a.provider && (cfg.providers || []).find((p) => p.id === a.provider);
    const via = a.provider_name || (provider && provider.name);
    const site = a.url && webLink(a.url);
    const inReply = c.replied_to && byId.get(c.replied_to);
    const content = h("div", { c: "comment__content" });
    content.innerHTML = c.html; // sanitised by the server: the only HTML we insert
    const actions = h("footer", { c: "comment__actions" });
    const pinned = thread.pinned && thread.pinned.id === c.id;
    if (card) actions.append(button("link", gettext("Go to this comment in the discussion"), () => goTo(c.id)));
    else if (thread.open) {
      actions.append(button("link", gettext("Reply"), () => startReply(c.id), { "aria-label": interpolate(gettext("Reply to %(name)s"), { name: a.name }) }));
      if (c.status === "approved" && !own[c.id]) actions.append(button("vote", "", (e) => vote(c, e.currentTarget)));
      if (c.status === "approved" && !own[c.id] && (cfg.report_reasons || []).length)
        actions.append(button("link", gettext("Report"), () => startReport(c, art), { "aria-label": interpolate(gettext("Report the comment by %(name)s"), { name: a.name }) }));
    } else if (c.votes) actions.append(h("span", { c: "votes", text: votesText(c.votes) }));
    if (mod && !card && c.status === "approved") {
      actions.append(
        // Translators: a moderator's buttons: mark as (or no longer) an editor's pick.
        button("link", c.pick ? gettext("Unpick") : gettext("Pick"), () => choose(c, "pick", !c.pick), { "data-what": "pick" }),
        button("link", pinned ? gettext("Unpin") : gettext("Pin"), () => choose(c, "pin", !pinned), { "data-what": "pin" })
      );
    }
    const art = h(
      "article",
      { c: "comment__body" + (c.status === "pending" ? " comment__body--pending" : ""), id: card === "pinned-" ? "pinned-comment-" + c.id : null },
      h(
        "header",
        { c: "comment__meta" },
        h("img", { c: "comment__avatar", src: abs(a.avatar), alt: "", width: 40, height: 40, loading: "lazy" }),
        h("span", { c: "comment__author", dir: "auto" }, site ? h("a", { href: site, rel: "nofollow ugc noopener", text: a.name }) : a.name),
        a.provider === "passkey" && h("span", { c: "comment__badge", text: gettext("passkey account") }),
        provider &&
          h("img", { c: "comment__provider", src: abs(provider.icon), width: 14, height: 14, alt: interpolate(gettext("via %(provider)s"), { provider: via }), title: interpolate(gettext("Signed in with %(provider)s"), { provider: via }) }),
        c.permalink
          ? h("a", { c: "comment__permalink", href: abs(c.permalink), title: gettext("Link to this comment") }, timeEl(c.created))
          : timeEl(c.created),
        c.edited && h("span", { c: "comment__edited", text: gettext("(edited)") }),
        c.pick && h("span", { c: "comment__badge", text: gettext("Editor's pick") }),
        pinned && h("span", { c: "comment__badge", text: gettext("Pinned") })
      ),
      c.status === "pending" &&
        h("p", {
          c: "comment__pending",
          role: "status",
          text: gettext("Your comment is awaiting moderation. Only you can see it until a moderator approves it."),
        }),
      inReply && inReply.author.name && h("p", { c: "comment__inreply", text: interpolate(gettext("In reply to %(name)s"), { name: inReply.author.name }) }),
      content,
      actions
    );
    const mine = !card && own[c.id];
    if (mine && mine.u > Date.now() && (mine.t || auth)) {
      const edit = button("link", gettext("Edit"), () => startEdit(c, art));
      const del = button("link", gettext("Delete"), () => remove(c, art));
      actions.append(edit, del);
      setTimeout(() => (edit.remove(), del.remove()), Math.min(mine.u - Date.now(), 2e9));
    }
    return art;
  }

  /* ---------- up-votes ---------- */

  const orders = () => ({ oldest: gettext("Oldest first"), newest: gettext("Newest first"), top: gettext("Most voted") });
  let voted = new Set(); // ids this reader up-voted: asked apart, as the thread page is one for all
  const votesText = (n) => interpolate(ngettext("%(n)s vote", "%(n)s votes", n), { n: NF.format(n) });

  // Only a reader the server can know asks: a guest who voted before, or one signed in.
  function myVotes() {
    const v = kv("local", "voter");
    voted = new Set();
    showVotes();
    if (!v && !auth) return;
    api("GET", "votes?" + new URLSearchParams({ site: SITE, url: pageUrl }), null, v ? { "X-Meydan-Voter": v } : {}, true)
      .then((r) => ((voted = new Set(r.comments)), showVotes()))
      .catch(() => {});
  }

  // Each vote button says its count, and (aria-pressed, label) whether this reader voted.
  function showVotes() {
    for (const b of list.querySelectorAll(".meydan-vote")) {
      const c = byId.get(Number(b.closest("li").id.slice(8)));
      const mine = voted.has(c.id);
      b.textContent = "▲ " + NF.format(c.votes || 0);
      b.setAttribute("aria-pressed", mine);
      b.setAttribute(
        "aria-label",
        interpolate(mine ? gettext("Take back your up-vote of the comment by %(name)s, %(votes)s") : gettext("Up-vote comment by %(name)s, %(votes)s"), {
          name: c.author.name,
          votes: votesText(c.votes || 0),
        })
      );
    }
  }

  async function vote(c, b) {
    if (b.getAttribute("aria-busy")) return;
    const up = !voted.has(c.id);
    const v = kv("local", "voter");
    const [hd] = ownAuth(c.id);
    if (v) hd["X-Meydan-Voter"] = v;
    b.setAttribute("aria-busy", "true");
    try {
      const r = await api(up ? "POST" : "DELETE", "comments/" + c.id + "/vote", null, hd, true);
      if (r.voter) kv("local", "voter", r.voter);
      c.votes = r.votes;
      voted[r.voted ? "add" : "delete"](c.id);
      fresh = true;
      showVotes();
      announce(r.voted ? gettext("Your vote was counted.") : gettext("Your vote was taken back."));
    } catch (x) {
      announce(x.message);
    }
    b.removeAttribute("aria-busy");
  }

  async function loadMore(focus) {
    moreBtn.disabled = true;
    moreErr.textContent = "";
    moreBtn.textContent = gettext("Loading…");
    try {
      const p = await threadQuery(thread.page + 1, thread.order);
      Object.assign(thread, { page: p.page, pages: p.pages, count: p.count });
      const first = fill(p.comments);
      update();
      showVotes();
      if (focus && first) focusOn(first.firstChild);
    } catch (e) {
      moreErr.textContent = e.message;
    }
    moreBtn.disabled = false;
    moreBtn.textContent = gettext("Load more comments");
  }

  // A moderator's Pick / Unpick / Pin / Unpin (POST or DELETE /comments/{id}/pick|pin).
  async function choose(c, what, on) {
    try {
      const r = await api(on ? "POST" : "DELETE", "comments/" + c.id + "/" + what, null, {}, true);
      fresh = true;
      if (what === "pin") thread.pinned = r.pinned;
      else {
        thread.picks += r.pick === c.pick ? 0 : r.pick ? 1 : -1;
        c.pick = r.pick;
        if (thread.pinned && thread.pinned.id === c.id) thread.pinned.pick = r.pick;
      }
      redraw();
      els.get(c.id)?.querySelector('[data-what="' + what + '"]')?.focus(); // the new button, in place of the one clicked
      announce(
        what === "pin"
          ? on
            ? gettext("Pinned to the top.")
            : gettext("Unpinned.")
          : on
            ? gettext("Marked as an editor's pick.")
            : gettext("No longer an editor's pick.")
      );
    } catch (x) {
      announce(x.message);
    }
  }

  // The whole thread, or its editors' picks alone (oldest first).
  async function setView(on) {
    if (on === picksView) return;
    cancelReply();
    picksView = on;
    list.setAttribute("aria-busy", "true");
    try {
      thread = await threadQuery(1, on ? null : kv("local", "order"));
      list.replaceChildren();
      els.clear();
      fill(thread.comments);
      update();
      showVotes();
    } catch (e) {
      picksView = !on;
      announce(e.message);
    }
    list.removeAttribute("aria-busy");
  }

  async function goTo(id) {
    await setView(false);
    for (let i = 0; i < 20 && !els.has(id) && thread.page < thread.pages; i++) await loadMore();
    const li = els.get(id);
    if (li) li.scrollIntoView({ block: "start" }), focusOn(li.firstChild);
  }

  async function setOrder(order) {
    if (order === thread.order) return;
    kv("local", "order", order);
    cancelReply();
    list.setAttribute("aria-busy", "true");
    try {
      thread = await threadQuery(1, order);
      list.replaceChildren();
      els.clear();
      fill(thread.comments);
      update();
      showVotes();
      orderNav.querySelector('[aria-pressed="true"]').focus();
    } catch (e) {
      announce(e.message);
    }
    list.removeAttribute("aria-busy");
  }

  function focusOn(el) {
    el.setAttribute("tabindex", "-1");
    el.focus();
  }

  // [headers, use the bearer token]: a guest's edit key, else the signed-in reader's token.
  function ownAuth(id) {
    const t = own[id] && own[id].t;
    return t ? [{ "X-Meydan-Edit-Token": t }, false] : [{}, true];
  }

  function startEdit(c, art) {
    if (art.querySelector("form")) return;
    const content = art.querySelector(".meydan-comment__content");
    const actions = art.querySelector(".meydan-comment__actions");
    const id = "meydan-edit-" + c.id;
    const ta = h("textarea", { id, rows: 6, maxlength: cfg.limits.max_length, autocomplete: "off", "aria-describedby": id + "-error" });
    ta.value = own[c.id] && own[c.id].b != null ? own[c.id].b : content.innerText.trim();
    const err = h("p", { c: "field__error", id: id + "-error", role: "alert" });
    const done = () => {
      form.remove();
      content.hidden = actions.hidden = false;
      actions.querySelector("button:nth-last-child(2)")?.focus();
    };
    const form = h(
      "form",
      { c: "edit", novalidate: true, onkeydown: (e) => e.key === "Escape" && done() },
      h("div", { c: "field" }, h("label", { for: id, text: gettext("Edit your comment") }), ta, err),
      h("p", { c: "respond__submit" }, h("button", { c: "button", text: gettext("Save") }), button("button button--secondary", gettext("Cancel"), done))
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.setAttribute("aria-busy", "true");
      try {
        const n = await api("PATCH", "comments/" + c.id, { body: ta.value }, ...ownAuth(c.id));
        if (own[c.id]) own[c.id].b = ta.value;
        saveOwn();
        Object.assign(c, n);
        content.innerHTML = n.html; // sanitised by the server
        const meta = art.querySelector(".meydan-comment__meta");
        if (n.edited && !meta.querySelector(".meydan-comment__edited")) meta.append(h("span", { c: "comment__edited", text: gettext("(edited)") }));
        fresh = true;
        done();
        announce(gettext("Your comment was updated."));
      } catch (x) {
        err.textContent = ((x.fields && x.fields.body) || [x.message]).join(" ");
        ta.setAttribute("aria-invalid", "true");
      }
      form.removeAttribute("aria-busy");
    });
    content.hidden = actions.hidden = true;
    content.after(form);
    ta.focus();
  }

  // Report: the reasons come from the site (GET /sites/{key}, in the reader's language);
  // "other" asks for the reader's words. Errors show next to the field they concern.
  function startReport(c, art) {
    if (art.querySelector(".meydan-report")) return;
    const actions = art.querySelector(".meydan-comment__actions");
    const id = "meydan-report-" + c.id;
    const errs = {};
    const err = (k) => (errs[k] = h("p", { c: "field__error", id: id + "-" + k + "-error", role: "alert" }));
    const choices = cfg.report_reasons.map((r, i) =>
      h("label", { c: "report__choice", for: id + "-" + i }, h("input", { type: "radio", name: "reason", value: r.code, id: id + "-" + i }), " " + r.label)
    );
    const note = h("textarea", { id: id + "-note", name: "note", rows: 2, maxlength: 500, "aria-describedby": id + "-note-error" });
    const done = () => {
      form.remove();
      actions.hidden = false;
      actions.querySelector(".meydan-link:last-child")?.focus();
    };
    const form = h(
      "form",
      { c: "report edit", novalidate: true, onkeydown: (e) => e.key === "Escape" && done() },
      h("fieldset", { c: "field", "aria-describedby": id + "-reason-error" }, h("legend", { text: gettext("Why do you report this comment?") }), ...choices, err("reason")),
      h("div", { c: "field" }, h("label", { for: id + "-note", text: gettext("In your words (required for “Other”)") }), note, err("note")),
      h("p", { c: "respond__submit" }, h("button", { c: "button", text: gettext("Report to the moderators") }), button("button button--secondary", gettext("Cancel"), done))
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      for (const k in errs) errs[k].textContent = "";
      const picked = form.querySelector("input[name=reason]:checked");
      if (!picked) return (errs.reason.textContent = gettext("Choose a reason.")), choices[0].firstChild.focus();
      form.setAttribute("aria-busy", "true");
      try {
        await api("POST", "comments/" + c.id + "/flag", { reason: picked.value, note: note.value }, ...ownAuth(c.id));
        done();
        announce(gettext("Thank you. A moderator will look at this comment."));
      } catch (x) {
        const f = x.fields || {};
        errs.reason.textContent = (f.reason || (f.note ? [] : [x.message])).join(" ");
        errs.note.textContent = (f.note || []).join(" ");
        (f.note ? note : picked).focus();
      }
      form.removeAttribute("aria-busy");
    });
    actions.hidden = true;
    actions.after(form);
    form.querySelector("input").focus();
  }

  async function remove(c, art) {
    if (!window.confirm(gettext("Delete your comment? This cannot be undone."))) return;
    try {
      await api("DELETE", "comments/" + c.id, null, ...ownAuth(c.id));
    } catch (x) {
      art.append(h("p", { c: "field__error", role: "alert", text: x.message }));
      return;
    }
    const li = els.get(c.id);
    if (respond.parentNode === li) cancelReply();
    delete own[c.id];
    saveOwn();
    fresh = true;
    const kids = li.querySelector(":scope > .meydan-children");
    if (kids && kids.children.length) li.firstChild.replaceWith(articleEl({ status: "removed" }));
    else {
      const parentList = li.parentNode;
      li.remove();
      els.delete(c.id);
      if (parentList !== list && !parentList.children.length) parentList.remove();
    }
    if (c.status === "approved") thread.count--;
    update();
    announce(gettext("Your comment was deleted."));
  }

  /* ---------- the form: "Leave a Reply" ---------- */

  let form, title, errorsBox, statusBox, asBox, guestBox, guestFields, previewBox, previewContent, submitBtn, remember, trap, notify;
  let replyTo = null;
  let blockedUntil = 0;
  let popup = null;
  let popupTimer = 0;
  const fields = {};

  function field(name, label, tag, attrs, help, required) {
    const id = "meydan-" + name;
    const helpEl = help && h("span", { c: "field__help", id: id + "-help", text: help });
    const input = h(tag, {
      id,
      name,
      required,
      "aria-describedby": (helpEl ? id + "-help " : "") + id + "-error",
      ...attrs,
    });
    const err = h("p", { c: "field__error", id: id + "-error" });
    const box = h(
      "div",
      { c: "field field--" + name },
      h("label", { for: id }, label, required && [" ", h("span", { c: "required", "aria-hidden": "true", text: "*" })]),
      helpEl,
      input,
      err
    );
    fields[name] = { box, input, err };
    return box;
  }

  function buildForm() {
    const need = cfg.limits.guest_email_required !== false; // the site may not ask guests for name and email
    if (!thread.open) {
      respond.replaceChildren(h("p", { c: "respond__closed", text: gettext("Comments are closed.") }));
      return;
    }
    const providers = cfg.providers || [];
    title = h("h3", { c: "respond__title", id: "meydan-respond-title" });
    errorsBox = h("div", { c: "form-errors", role: "alert", "aria-live": "assertive" });
    statusBox = h("p", { c: "respond__status", role: "status", "aria-live": "polite" });
    asBox = h("div", { c: "respond__as" });
    guestBox = h(
      "div",
      null,
      h("p", {
        c: "respond__intro",
        text: providers.length ? gettext("Fill in your details below or click an icon to log in:") : gettext("Fill in your details below."),
      }),
      providers.length > 0 &&
        h(
          "p",
          { c: "respond__icons" },
          providers.map((p) =>
            h(
              "button",
              { type: "button", c: "respond__icon", title: interpolate(gettext("Log in with %(provider)s"), { provider: p.name }), "aria-label": interpolate(gettext("Log in with %(provider)s"), { provider: p.name }), onclick: () => signIn(p) },
              h("img", { src: abs(p.icon), alt: "", width: 28, height: 28 })
            )
          )
        ),
      cfg.passkeys &&
        h(
          "p",
          { c: "respond__passkeys" },
          button("link", gettext("Sign in with a passkey"), () => signIn({ signin: cfg.passkeys.signin, name: "passkey" })),
          " · ",
          button("link", gettext("Sign up with a passkey"), () => signIn({ signin: cfg.passkeys.signup, name: "passkey" })),
          " " + gettext("(no email needed)")
        ),
      h("p", { c: "respond__note" }, gettext("Your email address will not be published.") + " ", h("a", { href: ORIGIN + "/privacy/", target: "_blank", rel: "noopener" }, gettext("Privacy")))
    );
    remember = h("input", { type: "checkbox", id: "meydan-remember" });
    guestFields = h(
      "div",
      null,
      field("email", gettext("Email"), "input", { type: "email", autocomplete: "email", maxlength: 254 }, need ? gettext("Required, never published.") : gettext("Optional, never published."), need),
      field("name", gettext("Name"), "input", { type: "text", autocomplete: "name", maxlength: 100 }, need ? gettext("Required.") : gettext("Optional."), need),
      field("website", gettext("Website"), "input", { type: "url", autocomplete: "url", maxlength: 200 }, gettext("Optional.")),
      h(
        "div",
        { c: "field field--checkbox" },
        remember,
        " ",
        h("label", { for: "meydan-remember", text: gettext("Save my name, email and website in this browser for the next time I comment.") })
      )
    );
    // Email notifications (off unless ticked; a guest confirms by email first).
    const box = (id, label, extra) => {
      const input = h("input", { type: extra || "checkbox", id: "meydan-" + id, name: extra ? "meydan-scope" : null });
      return [input, h("label", { for: "meydan-" + id }, input, " " + label)];
    };
    const [comments, commentsLabel] = box("notify", gettext("Notify me of follow-up comments by email"));
    const [all, allLabel] = box("notify-all", gettext("all new comments"), "radio");
    const [mine, mineLabel] = box("notify-replies", gettext("only replies to me"), "radio");
    const [posts, postsLabel] = box("notify-posts", gettext("Notify me of new posts by email"));
    all.checked = true;
    notify = () => ({ notify: comments.checked ? (mine.checked ? "replies" : "thread") : "", notify_posts: posts.checked });
    const notifyBox = h(
      "fieldset",
      { c: "field field--notify" },
      h("legend", { c: "visually-hidden", text: gettext("Email notifications") }),
      h("div", { c: "field--checkbox" }, commentsLabel),
      h("div", { c: "field__choices", role: "radiogroup", "aria-label": gettext("Which comments") }, allLabel, mineLabel),
      h("div", { c: "field--checkbox" }, postsLabel)
    );
    // A spam trap people never see or reach (like the server's form): bots fill it in.
    trap = h("input", { type: "text", id: "meydan-homepage", autocomplete: "off", tabindex: "-1" });
    previewContent = h("div", { c: "comment__content" });
    previewBox = h("div", { c: "preview", hidden: true }, h("p", { c: "preview__label", text: gettext("Preview") }), previewContent);
    submitBtn = h("button", { type: "submit", c: "button" });
    form = h(
      "form",
      { c: "respond__form", novalidate: true, "aria-labelledby": "meydan-respond-title", onsubmit: submit, onfocusin: pow },
      errorsBox,
      asBox,
      guestBox,
      statusBox,
      field("body", gettext("Comment"), "textarea", { rows: 6, maxlength: cfg.limits.max_length, autocomplete: "off" }, null, true),
      guestFields,
      notifyBox,
      h("div", { c: "respond__trap", "aria-hidden": "true" }, h("label", { for: "meydan-homepage", text: gettext("Leave this field empty") }), trap),
      h("p", {
        c: "respond__hint",
        // Translators: keep the Markdown marks (*, **, [](), `, >) as they are.
        text: gettext("You can use Markdown: *italic*, **bold**, [links](address), `code`, > quotes."),
      }),
      previewBox,
      h("p", { c: "respond__submit" }, submitBtn, button("button button--secondary", gettext("Preview"), preview)),
      // See, download or delete one's own comments (meydan.privacy), on Meydan's origin.
      h("p", { c: "respond__manage" },
        h("a", { href: ORIGIN + "/manage/?site=" + encodeURIComponent(SITE), target: "_blank", rel: "noopener", text: gettext("Manage my comments") }))
    );
    fields.body.input.addEventListener("input", () => (previewBox.hidden = true));
    respond.replaceChildren(title, form);
    respond.addEventListener("keydown", (e) => e.key === "Escape" && replyTo && cancelReply(true));
    const saved = kv("local", "guest");
    if (saved) {
      for (const k of ["name", "email", "website"]) fields[k].input.value = saved[k] || "";
      remember.checked = true;
    }
    setTitle();
    showAuth();
    prepare();
  }

  function setTitle() {
    const c = replyTo && byId.get(replyTo);
    title.replaceChildren(
      ...(c
        ? [interpolate(gettext("Replying to %(name)s"), { name: c.author.name }) + " ", h("small", null, button("link respond__cancel", gettext("Cancel reply"), () => cancelReply(true)))]
        : [gettext("Leave a Reply")])
    );
    submitBtn.textContent = c ? gettext("Post Reply") : gettext("Post Comment");
  }

  function startReply(id) {
    replyTo = id;
    els.get(id).firstChild.after(respond);
    setTitle();
    fields.body.input.focus();
  }

  function cancelReply(focus) {
    const id = replyTo;
    if (!respond || !id) return;
    replyTo = null;
    more.after(respond);
    if (form) setTitle();
    const li = els.get(id);
    if (focus && li) li.querySelector(".meydan-comment__actions button")?.focus();
  }

  function showAuth() {
    if (!form) return;
    guestBox.hidden = guestFields.hidden = !!auth;
    asBox.hidden = !auth;
    // A passkey account has no email address: no notifications to offer.
    form.querySelector(".meydan-field--notify").hidden = !!(auth && auth.me && auth.me.provider === "passkey");
    if (!auth) return asBox.replaceChildren();
    const m = auth.me || {};
    asBox.replaceChildren(
      h("img", { c: "respond__picture", src: abs(m.picture), alt: "", width: 48, height: 48 }),
      h(
        "div",
        null,
        h("p", { c: "respond__name", text: m.name }),
        h(
          "p",
          { c: "respond__using" },
          m.provider_name
            ? interpolate(gettext("You are commenting using your %(provider)s account."), { provider: m.provider_name })
            : interpolate(gettext("You are commenting as %(name)s."), { name: m.name }),
          " (",
          button("link", gettext("Log Out"), () => signOut()),
          " / ",
          // Translators: sign in with another account.
          button("link", gettext("Change"), () => signIn(null)),
          ")"
        )
      )
    );
  }

  function signOut(quiet) {
    // Revoke the token on the server too (a copy of it then signs nobody in).
    if (auth && !quiet) api("POST", "signout", null, {}, true).catch(() => {});
    auth = kv("session", "auth", null);
    setMod(false);
    showAuth();
    myVotes();
    if (!quiet && form) {
      statusBox.textContent = gettext("You are logged out. You can comment as a guest.");
      fields.body.input.focus();
    }
  }

  // PKCE-style (RFC 7636): a random verifier stays here, the popup gets only its
  // SHA-256. Made ahead, because the popup must open within the click. Without
  // crypto.subtle (a page not on https) there is no claim, only postMessage.
  function prepare() {
    const b64 = (a) => btoa(String.fromCharCode(...new Uint8Array(a))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const v = b64(crypto.getRandomValues(new Uint8Array(32)));
    next = null;
    if (crypto.subtle) crypto.subtle.digest("SHA-256", new TextEncoder().encode(v)).then((d) => (next = { v, c: b64(d) }), () => {});
  }

  // The sign-in popup: a provider's page, or (Change) the list of providers.
  function signIn(p) {
    const start = p ? abs(p.signin) : ORIGIN + "/embed/signin/?site=" + encodeURIComponent(SITE);
    if (!start) return;
    const w = 500;
    const ht = 640;
    const left = Math.round(window.screenX + Math.max(0, (window.outerWidth - w) / 2));
    const top = Math.round(window.screenY + Math.max(0, (window.outerHeight - ht) / 2));
    // If the provider's pages cut the popup off from this page
    // (Cross-Origin-Opener-Policy), the result is claimed with the verifier instead.
    verifier = next ? next.v : "";
    const challenge = next ? "&challenge=" + next.c : "";
    prepare();
    popup = window.open(
      start + "&origin=" + encodeURIComponent(location.origin) + challenge + "&lang=" + lang,
      "meydan-signin",
      "popup,width=" + w + ",height=" + ht + ",left=" + left + ",top=" + top
    );
    errorsBox.replaceChildren();
    if (!popup) {
      errorsBox.append(h("p", { text: gettext("The sign-in window was blocked. Allow pop-ups for this page, or comment as a guest.") }));
      return;
    }
    statusBox.textContent = p ? interpolate(gettext("Connecting to %(provider)s…"), { provider: p.name }) : gettext("Connecting…");
    clearInterval(popupTimer);
    // A provider's Cross-Origin-Opener-Policy makes the popup look closed from here
    // while the reader is still signing in, so with a verifier the widget keeps
    // claiming for three minutes; without one it gives up after six seconds.
    const limit = verifier ? 360 : 12;
    let tries = 0;
    let shut = 0;
    popupTimer = setInterval(() => {
      if (!popup) return clearInterval(popupTimer);
      if (popup.closed) shut++;
      if (verifier && (++tries % 3 === 0 || popup.closed)) claim();
      if (shut === 12 && verifier) statusBox.textContent = gettext("Waiting for the sign-in window… If you closed it, try again, or comment as a guest.");
      if (shut > limit) {
        clearInterval(popupTimer);
        popup = null;
        statusBox.textContent = gettext("Sign-in was not completed. You can try again, or comment as a guest.");
      }
    }, 500);
  }

  function claim() {
    const mine = verifier;
    api("POST", "signin/claim", { site: SITE, verifier: mine }).then(
      (d) => mine === verifier && signedIn(d),
      () => {}
    );
  }

  function signedIn(d) {
    if (!popup) return;
    popup = null;
    verifier = "";
    clearInterval(popupTimer);
    if (d.status === "signed-in" && typeof d.token === "string" && d.token) {
      const seconds = Number(d.expiresIn || d.expires_in) || 3600;
      auth = { token: d.token, exp: Date.now() + (seconds - 60) * 1000, me: d.me || {} };
      kv("session", "auth", auth);
      showAuth();
      myVotes();
      checkMe();
      statusBox.textContent = interpolate(gettext("You are signed in as %(name)s."), { name: auth.me.name || "" });
      fields.body.input.focus();
    } else {
      statusBox.textContent = gettext("Sign-in was cancelled. You can comment as a guest.");
    }
  }

  window.addEventListener("message", (e) => {
    const d = e.data;
    if (e.origin !== ORIGIN || !popup || e.source !== popup || !d || d.type !== "meydan:signin") return;
    signedIn(d);
  });

  function clearErrors() {
    errorsBox.replaceChildren();
    for (const k in fields) setError(k, "");
  }

  function setError(k, msg) {
    const f = fields[k];
    f.err.textContent = msg;
    f.box.classList.toggle("meydan-field--error", !!msg);
    if (msg) f.input.setAttribute("aria-invalid", "true");
    else f.input.removeAttribute("aria-invalid");
  }

  // Field messages next to their fields; the rest (and the summary) in the general area.
  function showErrors(x) {
    const general = [x.message];
    for (const [k, msgs] of Object.entries(x.fields || {})) {
      if (fields[k] && !fields[k].box.closest("[hidden]")) setError(k, msgs.join(" "));
      else general.push(...msgs);
    }
    errorsBox.replaceChildren(...general.map((m) => h("p", { text: m })));
    const bad = form.querySelector("[aria-invalid]"); // the first, in the order readers see
    if (bad) bad.focus();
    else focusOn(errorsBox);
  }

  // Proof of work: pow.js (from ORIGIN, fetched when a guest first uses the form) gets and
  // solves a challenge; it goes with the post. Without it the comment waits for a moderator.
  let solver = null;
  function pow() {
    if (auth) return Promise.resolve(null);
    solver =
      solver ||
      new Promise((ok) =>
        document.head.append(h("script", { src: ORIGIN + "/embed/pow.js", onload: () => ok(window.meydanPow), onerror: () => ok(null) }))
      ).then((m) => m && m.solver(API + "challenge?site=" + encodeURIComponent(SITE) + "&url=" + encodeURIComponent(pageUrl) + "&lang=" + lang));
    return solver.then((s) => s && s.get());
  }

  async function submit(e) {
    e.preventDefault();
    if (form.getAttribute("aria-busy")) return;
    clearErrors();
    if (Date.now() < blockedUntil) {
      const s = Math.ceil((blockedUntil - Date.now()) / 1000);
      return showErrors({ message: interpolate(ngettext("You are posting too fast. Try again in %(n)s second.", "You are posting too fast. Try again in %(n)s seconds.", s), { n: NF.format(s) }) });
    }
    if (auth && !(auth.exp > Date.now())) {
      signOut(true);
      return showErrors({ message: gettext("Your sign-in has expired. Log in again, or comment as a guest.") });
    }
    const body = fields.body.input.value;
    const guest = {};
    if (!auth) for (const k of ["name", "email", "website"]) guest[k] = fields[k].input.value.trim();
    form.setAttribute("aria-busy", "true");
    submitBtn.disabled = true;
    try {
      if (!auth) statusBox.textContent = gettext("Checking that this browser is not a robot…");
      const altcha = (await pow()) || undefined;
      statusBox.textContent = "";
      if (solver) solver.then((s) => s && s.used()); // a solution is good for one post
      const r = await api(
        "POST",
        "comments",
        { site: SITE, url: pageUrl, title: pageTitle, parent: replyTo, body, ...guest, ...notify(), form_token: cfg.form_token, homepage: trap.value, altcha },
        {},
        true
      );
      if (!auth) kv("local", "guest", remember.checked ? guest : null);
      const c = r.comment;
      if (r.edit_until) own[c.id] = { t: r.edit_token || null, u: Date.parse(r.edit_until), b: body };
      saveOwn();
      fresh = true;
      byId.set(c.id, c);
      const li = commentEl(c);
      const parent = c.parent && els.get(c.parent);
      if (parent) children(parent).append(li);
      else if (thread.order === "newest") list.prepend(li);
      else list.append(li);
      if (r.published) thread.count++;
      fields.body.input.value = "";
      previewBox.hidden = true;
      cancelReply();
      update();
      showVotes();
      li.scrollIntoView({ block: "nearest" });
      focusOn(li.firstChild);
      announce(r.published ? gettext("Your comment was posted.") : gettext("Your comment is awaiting moderation."));
    } catch (x) {
      if (x.status === 429) blockedUntil = Date.now() + (x.retry || 30) * 1000;
      // Refused as too old or incomplete: a fresh form token lets "try again" work.
      if (x.status === 403) {
        api("GET", "sites/" + encodeURIComponent(SITE))
          .then((s) => (cfg.form_token = s.form_token))
          .catch(() => {});
      }
      if (auth && x.status === 401) {
        // The server did not accept the sign-in (expired or for another site).
        signOut(true);
        x.message = gettext("Your sign-in has expired. Log in again, or comment as a guest.");
      }
      showErrors(x);
    }
    form.removeAttribute("aria-busy");
    submitBtn.disabled = false;
  }

  async function preview() {
    clearErrors();
    try {
      const r = await api("POST", "preview", { body: fields.body.input.value });
      previewContent.innerHTML = r.html; // sanitised by the server
      if (!r.html) previewContent.textContent = gettext("Nothing to preview yet.");
      previewBox.hidden = false;
    } catch (x) {
      showErrors(x);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
