"""Compressed answers: the API's thread pages (gzip and Brotli, made once per version)
and the server-rendered pages (gzip in pieces, never with a secret in them)."""

import csv
import gzip
import html
import json
import threading
import time
import zlib
from pathlib import Path

import brotli
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.comments import caching
from meydan.core import compression, metrics
from meydan.core.compression import accepts, chosen_coding, etag_for_coding, etag_matches

BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
SPAM_CORPUS = Path(__file__).parents[1] / "fixtures" / "spam" / "youtube-spam-collection"


@pytest.mark.parametrize(
    ("header", "chosen", "gzip_ok"),
    [
        (BROWSER, "br", True),
        ("gzip, deflate", "gzip", True),
        ("GZIP", "gzip", True),
        ("x-gzip", "gzip", True),
        ("br", "br", False),
        ("br;q=0, gzip", "gzip", True),
        ("gzip;q=0", None, False),
        ("gzip;q=0.0, br;q=0", None, False),
        ("gzip; q=0.5", "gzip", True),
        ("gzip;q=nonsense", None, False),
        ("*", "br", True),
        ("*;q=0", None, False),
        ("identity", None, False),
        ("deflate, zstd", None, False),
        ("", None, False),
        (None, None, False),
    ],
)
def test_the_coding_follows_accept_encoding(header, chosen, gzip_ok):
    assert chosen_coding(header) == chosen
    assert accepts(header, "gzip") is gzip_ok


def test_each_coding_has_its_own_etag_and_any_of_them_revalidates():
    etag = '"v7-p1-oldest"'
    assert etag_for_coding(etag, None) == etag
    assert etag_for_coding(etag, "gzip") == '"v7-p1-oldest-gz"'
    assert etag_for_coding(etag, "br") == '"v7-p1-oldest-br"'
    for sent in (etag, '"v7-p1-oldest-gz"', '"v7-p1-oldest-br"', 'W/"v7-p1-oldest"', "*"):
        assert etag_matches(sent, etag)
    assert etag_matches('"x", "v7-p1-oldest-br"', etag)
    for sent in ("", '"v7-p1-oldest-zz"', '"v7-p1-oldes"', '"v17-p1-oldest"', '"v7-p1-oldest-gzx"'):
        assert not etag_matches(sent, etag)


PAGE = ("<html><body>" + "<p>A comment about the rally in Baku.</p>" * 300).encode()


@pytest.mark.parametrize(
    "tokens",
    [
        [],
        [b"TOKEN-ONE"],
        [b"TOKEN-ONE", b"TOKEN-TWO"],
        [b"not-in-the-page"],
    ],
)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_spliced_gzip_stream_is_the_page(tokens, where):
    compression.pieces.clear()
    found = [token for token in tokens if token != b"not-in-the-page"]
    if where == "start":
        body = b"".join(found) + PAGE
    elif where == "end":
        body = PAGE + b"".join(found)
    else:
        body = PAGE[:1000] + b"".join(found) + PAGE[1000:]
    spliced = compression.gzip_spliced(body, tokens)
    assert gzip.decompress(spliced) == body
    # As browsers read it: zlib with the gzip wrapper, and a check of CRC and length.
    assert zlib.decompress(spliced, 16 + zlib.MAX_WBITS) == body
    assert len(spliced) < len(body) / 5


def test_only_the_tokens_are_compressed_on_later_requests():
    compression.pieces.clear()
    first = PAGE[:500] + b"TOKEN-1796352790070" + PAGE[500:]
    compression.gzip_spliced(first, [b"TOKEN-1796352790070"])
    made = compression.pieces.compressions
    assert made == 2  # before the token and after it
    for n in range(5):
        token = f"TOKEN-{n:013d}".encode()
        body = PAGE[:500] + token + PAGE[500:]
        assert gzip.decompress(compression.gzip_spliced(body, [token])) == body
    assert compression.pieces.compressions == made


# --- The API's thread pages --------------------------------------------------------


def read(client, site, **headers):
    params = {"site": site.slug, "url": "/baku-rally/"}
    return client.get("/api/v1/threads", params, headers=headers)


def real_comments(n: int) -> list[tuple[str, str]]:
    """(author, text) of the first `n` hand-labelled non-spam comments of the YouTube
    Spam Collection (tests/fixtures/spam): real readers' words, not repeated filler
    that would compress better than any real thread."""
    found, seen = [], set()
    for path in sorted(SPAM_CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = html.unescape(row["CONTENT"])[:1500]
                if row["CLASS"] == "0" and len(text) > 40 and text not in seen:
                    seen.add(text)
                    found.append((row["AUTHOR"][:60], text))
                    if len(found) == n:
                        return found
    return found


@pytest.fixture
def hundred(post):
    """A 100-comment thread, nested as the shared workload nests them (depth <= 3)."""
    parents = []
    for n, (author, text) in enumerate(real_comments(100)):
        parent = parents[n % len(parents)] if parents and n % 3 else None
        comment = post(text, name=author, parent=parent)
        if comment.depth < 3:
            parents.append(comment)
    return parents


@pytest.mark.django_db
def test_the_thread_json_comes_in_the_coding_the_reader_accepts(site, post):
    for n in range(12):
        post(f"Comment number {n} on the rally, with enough words to be worth compressing.")
    client = Client()
    plain = read(client, site)
    assert "Content-Encoding" not in plain and plain["ETag"].endswith('-oldest"')
    assert "Accept-Encoding" in plain["Vary"] and "Accept-Language" in plain["Vary"]
    as_br = read(client, site, accept_encoding=BROWSER)
    assert as_br["Content-Encoding"] == "br" and as_br["ETag"] == plain["ETag"][:-1] + '-br"'
    assert brotli.decompress(as_br.content) == plain.content
    assert int(as_br["Content-Length"]) == len(as_br.content) < len(plain.content) / 3
    as_gzip = read(client, site, accept_encoding="gzip, deflate")
    assert as_gzip["Content-Encoding"] == "gzip" and as_gzip["ETag"].endswith('-gz"')
    assert gzip.decompress(as_gzip.content) == plain.content
    assert "Accept-Encoding" in as_gzip["Vary"]
    # Revalidating with the Brotli ETag, from a client that now asks for plain bytes.
    again = read(client, site, if_none_match=as_br["ETag"])
    assert again.status_code == 304 and again["ETag"] == plain["ETag"]
    again = read(client, site, if_none_match=plain["ETag"], accept_encoding="gzip")
    assert again.status_code == 304 and again["ETag"] == as_gzip["ETag"]


@pytest.mark.django_db
def test_a_hundred_comment_thread_goes_in_a_fifth_of_its_bytes(site, hundred):
    client = Client()
    plain = read(client, site)
    assert plain.json()["count"] == 100 and len(plain.content) > 40_000
    for coding in ("br", "gzip"):
        sent = read(client, site, accept_encoding=coding)
        assert sent["Content-Encoding"] == coding
        assert len(sent.content) <= 0.20 * len(plain.content), coding


@pytest.mark.django_db
def test_a_short_answer_goes_plain(site):
    params = {"site": site.slug, "url": "/nothing-here-yet/"}
    empty = Client().get("/api/v1/threads", params, headers={"accept-encoding": BROWSER})
    assert empty.status_code == 200 and "Content-Encoding" not in empty
    assert empty.json()["comments"] == []
    again = Client().get(  # its 304 carries the ETag the 200 came with
        "/api/v1/threads",
        params,
        headers={"accept-encoding": BROWSER, "if-none-match": empty["ETag"]},
    )
    assert again.status_code == 304 and again["ETag"] == empty["ETag"]


@pytest.mark.django_db
def test_a_coding_is_made_once_not_on_every_read(site, post, monkeypatch):
    post("A comment worth reading, and long enough to be worth compressing, twice over.")
    client = Client()
    first = read(client, site, accept_encoding=BROWSER)
    assert first["Content-Encoding"] == "br"
    calls = []
    monkeypatch.setattr(compression, "compressed", lambda body: calls.append(body) or {})
    monkeypatch.setattr(brotli, "compress", lambda *a, **k: calls.append(a) or b"")
    for _ in range(3):
        again = read(client, site, accept_encoding=BROWSER)
        assert again.content == first.content
    assert calls == []


def test_without_a_shared_cache_a_page_is_kept_in_the_coding_asked_for(monkeypatch):
    """The local-memory layout keeps a page it built in its reader's coding alone, and
    makes another coding once, when a reader first asks for it (counted in the store)."""
    caching.local_payloads.clear()
    plain = json.dumps({"comments": ["Words worth compressing, " * 40]}).encode()
    key = "meydan:api-thread:1:1:7:1:oldest"
    built = caching.payload_build(key, lambda: plain)
    assert (built.plain, built.gzip, built.br) == (plain, None, None)
    assert caching.local_payloads.size == len(plain)
    body, coding = caching.payload_get(key).body("gzip")
    assert coding == "gzip" and gzip.decompress(body) == plain
    assert caching.local_payloads.size == len(plain) + len(body)
    calls = []
    monkeypatch.setattr(compression, "compress", lambda *a: calls.append(a) or b"")
    assert caching.payload_get(key).body("gzip") == (body, "gzip") and calls == []
    monkeypatch.undo()

    key = "meydan:api-thread:1:1:8:1:oldest"
    built = caching.payload_build(key, lambda: plain, coding="br")
    assert built.plain is None and built.gzip is None
    assert caching.local_payloads.size == len(plain) + len(body) + len(built.br)
    assert caching.payload_get(key).body("br") == (built.br, "br")
    assert caching.payload_get(key).body(None) == (plain, None)  # from the Brotli bytes


# --- One build per version ---------------------------------------------------------


def _builds() -> float:
    return metrics.READ_PAGE_BUILDS._value.get()


@pytest.mark.django_db
def test_many_readers_at_once_build_a_page_once():
    key = "meydan:api-thread:1:1:1:1:oldest"
    calls = []

    def slow_build():
        calls.append(1)
        time.sleep(0.2)
        return json.dumps({"comments": ["x" * 1000]}).encode()

    before = _builds()
    results = []
    readers = [
        threading.Thread(target=lambda: results.append(caching.payload_build(key, slow_build)))
        for _ in range(16)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(calls) == 1 and _builds() - before == 1
    assert len(results) == 16 and len({r.br for r in results}) == 1
    assert caching.payload_get(key) == results[0]


@pytest.mark.django_db
def test_a_failed_build_lets_the_next_reader_try(settings):
    key = "meydan:api-thread:1:1:2:1:oldest"

    def broken():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        caching.payload_build(key, broken)
    built = caching.payload_build(key, lambda: b"[]" * 200)
    assert built.plain == b"[]" * 200


def _pages_before() -> float:
    return metrics.READ_PAGES_BEFORE._value.get()


def _page_json(version: int) -> bytes:
    return json.dumps({"version": version, "comments": ["x" * 500]}).encode()


@pytest.mark.django_db
def test_while_one_reader_builds_a_new_version_the_others_get_the_one_before():
    page = caching.Page(1, 7, 1, "newest")
    first, served = caching.page_payload(page, 5, lambda: _page_json(5))
    assert served == 5 and json.loads(first.plain)["version"] == 5
    building, release = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        release.wait(5)
        return _page_json(6)

    answers = []
    builder = threading.Thread(
        target=lambda: answers.append(caching.page_payload(page, 6, slow_build))
    )
    builder.start()
    assert building.wait(5)
    counted = _pages_before()
    started = time.monotonic()
    payload, served = caching.page_payload(page, 6, lambda: pytest.fail("built twice"))
    assert time.monotonic() - started < 0.5, "answered at once, not after the build"
    assert served == 5 and payload.plain == first.plain
    assert _pages_before() - counted == 1
    release.set()
    builder.join()
    assert answers[0][1] == 6 and json.loads(answers[0][0].plain)["version"] == 6
    payload, served = caching.page_payload(page, 6, lambda: pytest.fail("built twice"))
    assert served == 6 and payload == answers[0][0]


@pytest.mark.django_db
@pytest.mark.parametrize("why", ["too long", "erased", "nothing older"])
def test_the_page_before_is_not_given_when_it_must_not_be(why, monkeypatch):
    page = caching.Page(1, 8, 1, "oldest")
    if why != "nothing older":
        caching.page_payload(page, 3, lambda: _page_json(3))
    if why == "too long":
        monkeypatch.setattr(caching, "BEFORE_SECONDS", 0.0)
    if why == "erased":  # its text must not be served again from here
        caching.thread_payloads_forget(1, 8)
    building, release = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        release.wait(5)
        return _page_json(4)

    builder = threading.Thread(target=lambda: caching.page_payload(page, 4, slow_build))
    builder.start()
    assert building.wait(5)
    threading.Timer(0.2, release.set).start()
    payload, served = caching.page_payload(page, 4, lambda: pytest.fail("built twice"))
    builder.join()
    assert served == 4 and json.loads(payload.plain)["version"] == 4  # it waited


class _AnotherReaderBuildsEverything(dict):
    """caching._building as it is while another reader builds every page asked for."""

    def get(self, key, default=None):
        return threading.Event()


@pytest.mark.django_db
def test_the_page_before_goes_with_its_own_etag_and_no_proxy_keeps_it(site, post, monkeypatch):
    post("The first word.")
    client = Client()
    first = read(client, site)
    post("The second word.")
    with monkeypatch.context() as busy:
        busy.setattr(caching, "_building", _AnotherReaderBuildsEverything())
        meanwhile = read(client, site)
    assert meanwhile.status_code == 200 and meanwhile["ETag"] == first["ETag"]
    assert meanwhile["Cache-Control"] == "no-store" and meanwhile.content == first.content
    now = read(client, site, if_none_match=first["ETag"])
    assert now.status_code == 200 and now["ETag"] != first["ETag"]
    assert b"The second word." in now.content
    assert now["Cache-Control"] == "public, max-age=0, s-maxage=1"


@pytest.fixture
def shared_redis(settings):
    from tests.conftest import require_redis

    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",
            "KEY_PREFIX": "compression-test",
        }
    }
    settings.MEYDAN_SHARED_CACHE = True
    from django.core.cache import caches

    caches["default"].clear()
    caching.local_payloads.clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.mark.django_db
def test_another_process_building_the_page_is_waited_for(shared_redis):
    key = "meydan:api-thread:1:1:3:1:oldest"
    assert shared_redis.add(f"{key}:building", 1, 10)  # as another worker process would

    def other_process_finishes():
        time.sleep(0.1)
        shared_redis.set(key, tuple(caching.Payload.of(b'{"from": "the other one"}' * 20)))
        shared_redis.delete(f"{key}:building")

    finisher = threading.Thread(target=other_process_finishes)
    finisher.start()
    built = caching.payload_build(key, lambda: pytest.fail("built twice"))
    finisher.join()
    assert built.plain == b'{"from": "the other one"}' * 20
    assert gzip.decompress(built.gzip) == built.plain


@pytest.mark.django_db
def test_a_page_another_process_built_just_now_is_not_built_again(shared_redis):
    """Built and its lock let go between this reader's miss and its own lock."""
    key = "meydan:api-thread:1:1:5:1:oldest"
    shared_redis.set(key, tuple(caching.Payload.of(b'{"built": "elsewhere"}' * 20)))
    built = caching.payload_build(key, lambda: pytest.fail("built twice"))
    assert built.plain == b'{"built": "elsewhere"}' * 20


@pytest.mark.django_db
def test_a_lock_left_by_a_dead_process_costs_a_wait_not_the_page(shared_redis, monkeypatch):
    key = "meydan:api-thread:1:1:4:1:oldest"
    shared_redis.add(f"{key}:building", 1, 10)
    monkeypatch.setattr(caching, "BUILD_WAIT_SECONDS", 0.1)
    built = caching.payload_build(key, lambda: b"[1]" * 100)
    assert built.plain == b"[1]" * 100 and caching.payload_get(key).plain == built.plain


@pytest.mark.django_db
def test_a_worker_keeps_of_a_shared_page_the_coding_its_reader_asked_for(shared_redis):
    """The shared cache holds all three codings (made once, for every worker); a
    worker's own copy holds the one asked for, and makes another from it if asked."""
    key = "meydan:api-thread:1:1:6:1:oldest"
    plain = json.dumps({"comments": ["Words worth compressing, " * 40]}).encode()
    shared_redis.set(key, tuple(caching.Payload.of(plain)))
    found = caching.payload_get(key, coding="gzip")
    assert gzip.decompress(found.gzip) == plain and brotli.decompress(found.br) == plain
    kept = caching.local_payloads.get(key)
    assert (kept.plain, kept.gzip, kept.br) == (None, found.gzip, None)
    assert caching.local_payloads.size == len(found.gzip)
    body, coding = kept.body("br")
    assert coding == "br" and brotli.decompress(body) == plain
    assert kept.body(None) == (plain, None)
    assert caching.local_payloads.size == kept.size() == len(plain) + len(found.gzip) + len(body)


# --- Settled pages: Brotli again, at its slowest quality ------------------------


def _settled(result: str) -> float:
    return metrics.READ_PAGES_SETTLED.labels(result)._value.get()


def _age_local_pages(seconds: float) -> None:
    """As if this worker had held its pages `seconds` longer."""
    for _expiry, payload, _size in caching.local_payloads.items.values():
        payload.born -= seconds


@pytest.mark.django_db
def test_a_settled_page_goes_in_fewer_bytes_with_its_own_etag(site, hundred, settings):
    settings.MEYDAN_BROTLI_SETTLE_SECONDS = 10
    caching.local_payloads.clear()
    client = Client()
    plain = read(client, site).content
    first = read(client, site, accept_encoding=BROWSER)
    assert first["ETag"].endswith('-br"')
    done = compression.settler.done
    again = read(client, site, accept_encoding=BROWSER)  # 10 s have not passed
    compression.settler.wait()
    assert compression.settler.done == done and again.content == first.content

    _age_local_pages(11)
    smaller = _settled("smaller")
    offered = read(client, site, accept_encoding=BROWSER)  # sent as it was; offered
    assert offered.content == first.content and offered["ETag"] == first["ETag"]
    compression.settler.wait()
    assert compression.settler.done == done + 1
    assert _settled("smaller") == smaller + 1
    settled = read(client, site, accept_encoding=BROWSER)
    assert brotli.decompress(settled.content) == plain
    assert len(settled.content) < 0.95 * len(first.content)
    assert int(settled["Content-Length"]) == len(settled.content)
    assert settled["ETag"] == first["ETag"][:-4] + '-brs"'
    # Either bytes revalidate: they are the same words.
    for held in (first["ETag"], settled["ETag"]):
        check = read(client, site, accept_encoding=BROWSER, if_none_match=held)
        assert check.status_code == 304
    assert check["ETag"] == settled["ETag"]
    # Other codings are as they were, and it is settled once.
    assert read(client, site, accept_encoding="gzip")["ETag"].endswith('-gz"')
    read(client, site, accept_encoding=BROWSER)
    compression.settler.wait()
    assert compression.settler.done == done + 1
    # The store counts the bytes it holds now.
    assert caching.local_payloads.size == sum(
        payload.size() for _e, payload, _s in caching.local_payloads.items.values()
    )


@pytest.mark.django_db
def test_a_page_is_never_settled_when_settling_is_off(site, hundred, settings):
    settings.MEYDAN_BROTLI_SETTLE_SECONDS = 0  # MEYDAN_BROTLI_SETTLE_SECONDS=off
    caching.local_payloads.clear()
    client = Client()
    first = read(client, site, accept_encoding=BROWSER)
    _age_local_pages(3600)
    done = compression.settler.done
    read(client, site, accept_encoding=BROWSER)
    compression.settler.wait()
    assert compression.settler.done == done
    assert read(client, site, accept_encoding=BROWSER).content == first.content


def test_a_page_too_long_to_settle_keeps_its_bytes():
    plain = json.dumps([f"comment {n}: " + "words " * 30 for n in range(2000)]).encode()
    assert len(plain) > compression.SETTLE_MAX_BYTES
    payload = caching.Payload.made(plain, "br")
    quick = payload.br
    kept = _settled("kept")
    payload._settle()
    assert payload.br is quick and payload.settled is None
    assert _settled("kept") == kept + 1


def test_the_settler_holds_a_bounded_queue_and_outlives_a_failing_job(caplog):
    settler = compression.Settler(pending_max=2)
    gate = threading.Event()
    ran = []
    assert settler.offer(gate.wait)  # taken at once by its thread, which waits
    assert settler.offer(lambda: ran.append(1))
    assert not settler.offer(lambda: ran.append(2))  # two unfinished: refused
    gate.set()
    settler.wait()
    assert settler.offer(lambda: 1 / 0)
    assert settler.offer(lambda: ran.append(3))
    settler.wait()
    assert ran == [1, 3] and settler.done == 4
    assert "could not compress a settled page again" in caplog.text


# --- Server-rendered pages ---------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_out_readers_page_is_sent_gzip(site, article, post):
    post("A comment on the article, shown to everyone alike.")
    compression.pieces.clear()
    client = Client()
    page = client.get(article.get_absolute_url(), headers={"accept-encoding": BROWSER})
    assert page.status_code == 200 and page["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page["Vary"]
    assert int(page["Content-Length"]) == len(page.content)
    html = gzip.decompress(page.content).decode()
    assert "A comment on the article" in html and html.rstrip().endswith("</html>")
    assert 'name="form_token"' in html and "csrfmiddlewaretoken" not in html
    assert not page.cookies
    made = compression.pieces.compressions
    again = client.get(article.get_absolute_url(), headers={"accept-encoding": BROWSER})
    html_again = gzip.decompress(again.content).decode()
    assert html_again != html  # its own form token...
    assert compression.pieces.compressions == made  # ...and nothing else compressed anew
    plain = client.get(article.get_absolute_url())
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    # A csrftoken cookie left from a signed-in visit: no token in this page, still gzip.
    client.cookies["csrftoken"] = "x" * 32
    page = client.get(article.get_absolute_url(), headers={"accept-encoding": BROWSER})
    assert page["Content-Encoding"] == "gzip"
    assert "csrfmiddlewaretoken" not in gzip.decompress(page.content).decode()


@pytest.mark.django_db
def test_a_page_with_a_secret_in_it_is_never_compressed(site, article, guest_form):
    user = get_user_model().objects.create_user("tural", "tural@example.org", "pw-long-enough-1")
    signed_in = Client()
    signed_in.force_login(user)
    page = signed_in.get(article.get_absolute_url(), headers={"accept-encoding": BROWSER})
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    assert "Content-Encoding" not in page

    # A guest whose name and email the form remembers.
    guest = Client()
    sent = guest.post(
        article.get_absolute_url(),
        guest_form(remember="on"),
        headers={"origin": "http://testserver"},
    )
    assert sent.status_code == 302 and sent.cookies
    page = guest.get(article.get_absolute_url(), headers={"accept-encoding": BROWSER})
    assert "tural@example.org" in page.content.decode() and "Content-Encoding" not in page
    remembered_only = Client()  # no session: the remembered details alone
    remembered_only.cookies["meydan_guest"] = guest.cookies["meydan_guest"].value
    page = remembered_only.get(article.get_absolute_url(), headers={"accept-encoding": BROWSER})
    assert "tural@example.org" in page.content.decode() and "Content-Encoding" not in page

    # A signed-out page that carries a CSRF token (Django's own sign-in form).
    signin = Client().get("/accounts/login/", headers={"accept-encoding": BROWSER})
    assert signin.status_code == 200 and "csrfmiddlewaretoken" in signin.content.decode()
    assert "Content-Encoding" not in signin


@pytest.mark.django_db
def test_a_worker_drops_the_version_before_once_it_holds_a_newer_one():
    """A hot thread's older versions are never asked for again: they leave the store
    as soon as a newer one is held (and the newest older one still answers while the
    next is built, as above)."""
    caching.local_payloads.clear()
    caching.pages_forget()
    page = caching.Page(1, 9, 1, "oldest")
    for version in (1, 2, 3):
        payload, served = caching.page_payload(page, version, lambda v=version: _page_json(v))
        assert served == version and json.loads(payload.plain)["version"] == version
    held = [key for key in caching.local_payloads.items if key.startswith("meydan:api-thread:1:9:")]
    assert held == [caching.payload_key(1, 9, 3, 1, "oldest")]
    assert caching.local_payloads.size == len(_page_json(3))
