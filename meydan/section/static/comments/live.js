/* Live updates for the comment section Meydan renders itself (comments/live.html).
 *
 * While the page is open and visible, ask GET /api/v1/live?site&url how many comments
 * are published (every `data-live-seconds`, each time at random between 2/3 and 4/3 of
 * it, so that a crowd that opened a breaking story together does not ask together).
 * The browser's cache sends the last ETag (cache: "no-cache"), so an unchanged thread
 * costs the server a 304 without a query. When the count grows, show "2 new comments —
 * show"; the button fetches this page again and puts the new comments in their places
 * in the tree (replies under their parents), moves focus to the first of them and says
 * so in the status region. Hidden tabs stop asking until they are visible again; a 429
 * or 503 is honoured (Retry-After), other failures back off up to five minutes.
 * When the answer names a stream (`stream`: a server of Server-Sent Events runs, see
 * docs/scaling.md "Live updates"), listen there instead — the same count, pushed the
 * moment it changes, and no request at all while nothing does — and stop asking; if
 * the stream fails (no server, 503 beyond its limit), ask as before, and try the
 * stream again five minutes later. A hidden tab closes its stream.
 * The words come from the template, translated by the server (Intl.PluralRules picks
 * the plural form). Without JavaScript nothing here runs: the page works as before.
 */
(() => {
  "use strict";
  const box = document.currentScript && document.currentScript.closest(".comments__live");
  const section = box && box.closest("#comments");
  if (!section || !window.fetch || !window.DOMParser) return;
  const button = box.querySelector(".comments__live-show");
  const status = box.querySelector(".comments__live-status");
  const lang = document.documentElement.lang || undefined;
  const rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  const words = {};
  for (const span of box.querySelector("template").content.querySelectorAll("[data-n]")) {
    const n = Number(span.dataset.n);
    const key = span.dataset.words + ":" + (rules ? rules.select(n) : n === 1 ? "one" : "other");
    if (!(key in words)) words[key] = span.textContent.trim();
  }
  const say = (kind, n) => {
    const form = rules ? rules.select(n) : n === 1 ? "one" : "other";
    const text = words[kind + ":" + form] || words[kind + ":other"] || "";
    return text.replace("%(n)s", n.toLocaleString(lang));
  };

  const query = new URLSearchParams({ site: box.dataset.liveSite, url: box.dataset.liveUrl });
  const address = box.dataset.liveApi + "?" + query;
  let seconds = Number(box.dataset.liveSeconds) || 0;
  let seen = Number(section.dataset.liveCount) || 0; // the count the page shows
  let latest = seen;
  let failures = 0;
  let timer = null;
  let busy = false;
  let stream = null; // the EventSource while it works
  let noStreamUntil = 0;

  function listen(where) {
    if (stream || !window.EventSource || Date.now() < noStreamUntil) return false;
    const base = new URL(box.dataset.liveApi, location.href);
    stream = new EventSource(new URL(where, base) + "?" + query);
    stream.onmessage = (event) => {
      latest = JSON.parse(event.data).count;
      if (latest < seen) seen = latest;
      showButton();
    };
    stream.onerror = () => {
      // While the browser reconnects by itself (the server's `retry:`), nothing to do.
      if (stream.readyState !== EventSource.CLOSED) return;
      stream = null;
      noStreamUntil = Date.now() + 300000;
      later(jitter(seconds));
    };
    return true;
  }

  const jitter = (s) => s * 1000 * (2 / 3 + Math.random() * (2 / 3));

  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(ask, ms);
  }

  async function ask() {
    timer = null;
    if (!seconds) return;
    if (document.visibilityState === "hidden" || stream) return; // visibilitychange asks again
    let wait = jitter(seconds);
    try {
      const r = await fetch(address, { credentials: "omit", cache: "no-cache" });
      if (r.status === 429 || r.status === 503) {
        const after = Number(r.headers.get("Retry-After"));
        wait = Math.max(wait, Math.min(after > 0 ? after : 60, 3600) * 1000 + jitter(seconds));
      } else if (!r.ok) {
        throw new Error(String(r.status));
      } else {
        const answer = await r.json();
        failures = 0;
        seconds = Number(answer.poll) || 0;
        latest = answer.count;
        if (latest < seen) seen = latest; // comments were removed: count from here
        showButton();
        if (seconds && answer.stream && listen(answer.stream)) return;
      }
    } catch (e) {
      failures = Math.min(failures + 1, 8);
      wait = Math.min(jitter(seconds) * 2 ** failures, 300000);
    }
    if (seconds) later(wait);
  }

  function showButton() {
    const n = latest - seen;
    if (n > 0 && !busy) button.textContent = say("show", n);
    button.hidden = n <= 0;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && stream) {
      stream.close();
      stream = null;
    }
    if (document.visibilityState === "visible" && seconds && !timer && !stream) later(Math.random() * 1000);
  });

  // Put the comments of `fresh` (this page fetched again) that this page lacks into
  // their places: after the sibling before them, else before the one after them, else
  // first or last under their parent. Returns the first one placed.
  function merge(fresh) {
    let first = null;
    const list = section.querySelector("ol.comment-list");
    if (!list) {
      const freshList = fresh.querySelector(".comments__list");
      const here = section.querySelector(".comments__list");
      if (!freshList || !here) return null;
      here.replaceWith(freshList);
      return freshList.querySelector("li.comment[id]");
    }
    for (const li of fresh.querySelectorAll("li.comment[id]")) {
      if (document.getElementById(li.id)) continue;
      const parentLi = li.parentElement.closest("li.comment[id]");
      if (parentLi && !document.getElementById(parentLi.id)) continue; // it comes with its parent
      const copy = document.importNode(li, true); // the fetched page stays whole: siblings are read from it
      const before = li.previousElementSibling;
      const after = li.nextElementSibling;
      const here = (el) => el && el.id && document.getElementById(el.id);
      if (here(before)) here(before).after(copy);
      else if (here(after)) here(after).before(copy);
      else if (parentLi) {
        const parent = document.getElementById(parentLi.id);
        let children = parent.querySelector(":scope > ol.children");
        if (!children) {
          children = document.createElement("ol");
          children.className = "children";
          parent.append(children);
        }
        children.append(copy);
      } else list.append(copy);
      first = first || copy;
    }
    return first;
  }

  button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-busy", "true");
    try {
      const r = await fetch(location.href.split("#")[0], { credentials: "same-origin", cache: "no-store" });
      if (!r.ok) throw new Error(String(r.status));
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      const fresh = doc.getElementById("comments");
      if (!fresh) throw new Error("no comments");
      const count = Number(fresh.dataset.liveCount);
      const shown = Math.max(count - seen, 0);
      const first = merge(fresh);
      const title = fresh.querySelector("#comments-title");
      if (title) section.querySelector("#comments-title").replaceChildren(...title.childNodes);
      seen = latest = Math.max(count, 0);
      button.hidden = true;
      if (first) {
        const target = first.querySelector("article") || first;
        target.setAttribute("tabindex", "-1");
        target.focus();
      }
      status.textContent = "";
      setTimeout(() => (status.textContent = say("shown", shown)), 50);
    } catch (e) {
      /* the button stays: the reader can try again */
    }
    busy = false;
    button.removeAttribute("aria-busy");
    showButton();
  });

  later(jitter(seconds));
})();
