"""Each moderation check on its own, through the service, the HTML form and the API.

The autouse `_no_speed_limits` fixture turns form age and rate limits off; the
groups below that test them turn them on with `settings`.
"""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from meydan.comments import services
from meydan.comments.form_token import SALT, form_token_age, form_token_issue
from meydan.comments.models import Comment, Thread
from meydan.core.errors import CommentRejected, InvalidComment, RateLimited, ThreadClosed
from meydan.core.privacy import ip_hash
from meydan.core.sealing import email_hash
from meydan.moderation import services as moderation
from meydan.moderation.checks import rate_limit
from meydan.moderation.checks.links import count_links
from meydan.moderation.models import Ban
from tests.moderation.conftest import aged_token
from tests.sealed import address_of

pytestmark = pytest.mark.django_db

S = Comment.Status


def html(response) -> str:
    return response.content.decode()


def form_errors(response) -> str:
    """The text of the form's error box (non-field errors)."""
    box = r'<div class="form-errors" role="alert"[^>]*>(.*?)</div>'
    match = re.search(box, html(response), re.S)
    return match.group(1) if match else ""


def token_in(response) -> str:
    return re.search(r'name="form_token" value="([^"]*)"', html(response)).group(1)


# --- Form guard: honeypot and form age ----------------------------------------------------


class TestFormGuard:
    @pytest.fixture(autouse=True)
    def _form_age_on(self, settings):
        settings.MEYDAN_MIN_FORM_SECONDS = 3
        settings.MEYDAN_MAX_FORM_SECONDS = 3600

    def test_a_form_old_enough_passes(self, post):
        assert post(form_token=aged_token(10)).status == S.APPROVED

    def test_honeypot_filled_is_refused(self, post):
        with pytest.raises(CommentRejected) as error:
            post(form_token=aged_token(10), honeypot="http://cheap.example")
        assert "Please try again" in str(error.value.message)
        assert not Comment.objects.exists()

    def test_honeypot_is_checked_even_with_form_age_off(self, post, settings):
        settings.MEYDAN_MIN_FORM_SECONDS = 0
        with pytest.raises(CommentRejected):
            post(honeypot="x")

    @pytest.mark.parametrize(
        "token",
        [
            pytest.param(None, id="missing"),
            pytest.param("", id="empty"),
            pytest.param("not-a-token", id="garbage"),
            pytest.param(signing.dumps(0, salt="another.salt"), id="other-salt"),
            pytest.param(signing.dumps("1700000000000", salt=SALT), id="not-a-number"),
            pytest.param("FORGED", id="forged-signature"),
            pytest.param("TOO-OLD", id="too-old"),
        ],
    )
    def test_missing_forged_or_expired_token_is_refused(self, post, token):
        if token == "FORGED":  # a real token's signature on an older timestamp
            signature = aged_token(10).split(":", 1)[1]
            token = signing.dumps(1, salt=SALT).split(":", 1)[0] + ":" + signature
        if token == "TOO-OLD":
            token = aged_token(3600 + 60)
        assert form_token_age(token) is None or form_token_age(token) > 3600
        with pytest.raises(CommentRejected) as error:
            post(form_token=token)
        assert not isinstance(error.value, RateLimited)
        assert "Please try again" in str(error.value.message)
        assert not Comment.objects.exists()

    def test_too_young_is_asked_to_wait(self, post):
        with pytest.raises(RateLimited) as error:
            post(form_token=aged_token(0.5))
        assert "Please wait a moment and try again" in str(error.value.message)
        assert 1 <= error.value.retry_after <= 3
        assert not Comment.objects.exists()

    def test_fresh_token_is_about_now(self):
        assert form_token_age(form_token_issue()) == pytest.approx(0, abs=1)

    # The HTML form: a form error, with what was typed kept and a fresh token.

    def test_html_form_too_young(self, client, article_url, guest_form):
        sent = aged_token(0.2)
        response = client.post(
            article_url, guest_form(body="My careful words", name="Nigar", form_token=sent)
        )
        assert response.status_code == 429
        assert "That was very fast. Please wait a moment and try again." in form_errors(response)
        assert int(response["Retry-After"]) >= 1
        assert "My careful words</textarea>" in html(response)
        assert 'value="Nigar"' in html(response)
        assert token_in(response) not in ("", sent)  # a fresh one, so trying again works
        assert not Comment.objects.exists()

    @pytest.mark.parametrize("token", ["", "forged", "old"])
    def test_html_form_bad_token(self, client, article_url, guest_form, token):
        token = aged_token(3700) if token == "old" else token
        response = client.post(article_url, guest_form(body="Kept text", form_token=token))
        assert response.status_code == 403
        assert "too old or incomplete. Please try again" in form_errors(response)
        assert "Kept text</textarea>" in html(response)
        assert token_in(response)
        assert not Comment.objects.exists()

    def test_html_form_honeypot(self, client, article_url, guest_form):
        response = client.post(
            article_url,
            guest_form(body="Buy now", homepage="http://x.example", form_token=aged_token(10)),
        )
        assert response.status_code == 403
        assert "could not be sent. Please try again." in form_errors(response)
        assert "Buy now</textarea>" in html(response)
        assert not Comment.objects.exists()

    def test_html_form_page_carries_a_token_and_a_hidden_trap(self, client, article_url):
        page = client.get(article_url)
        assert form_token_age(token_in(page)) == pytest.approx(0, abs=2)
        assert 'name="homepage"' in html(page) and 'tabindex="-1"' in html(page)

    def test_html_form_old_enough_posts(self, client, article_url, guest_form):
        response = client.post(article_url, guest_form(form_token=aged_token(5)))
        assert response.status_code == 302
        assert Comment.objects.get().status == S.APPROVED

    # The API: JSON errors, 429 with Retry-After for "too fast", 403 otherwise.

    def test_api_token_from_site_config_is_too_young_at_once(self, api, api_comment, site):
        token = api.get(f"/sites/{site.slug}").json()["form_token"]
        response = api.post("/comments", api_comment(form_token=token))
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(response["Retry-After"]) <= 3
        assert not Comment.objects.exists()

    @pytest.mark.parametrize("token", [None, "forged", "old"])
    def test_api_bad_token_is_403(self, api, api_comment, token):
        token = aged_token(3700) if token == "old" else token
        response = api.post("/comments", api_comment(form_token=token))
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "rejected" and "Please try again" in error["message"]
        assert not Comment.objects.exists()

    def test_api_honeypot_is_403(self, api, api_comment):
        response = api.post(
            "/comments", api_comment(form_token=aged_token(10), homepage="http://x.example")
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "rejected"
        assert not Comment.objects.exists()

    def test_api_old_enough_posts(self, api, api_comment):
        response = api.post("/comments", api_comment(form_token=aged_token(10)))
        assert response.status_code == 201


# --- Bans ---------------------------------------------------------------------------------


def _ban(site, kind, value, **kw):
    """A Ban row as the admin or the shell saves it (an email ban holds the hash)."""
    value = email_hash(value) if kind == "email" else value
    return Ban.objects.create(site=site, kind=kind, value=value, **kw)


class TestBans:
    def test_ban_by_email_is_case_insensitive(self, site, post):
        moderation.ban_create(actor=None, site=site, kind="email", value=" Aynur@Example.ORG ")
        with pytest.raises(CommentRejected) as error:
            post(email="aynur@example.org")
        assert str(error.value.message) == "You cannot comment on this site."
        with pytest.raises(CommentRejected):
            post(email="AYNUR@EXAMPLE.ORG")
        assert post(email="someone@example.org").status == S.APPROVED

    def test_ban_by_ip_hash(self, site, post):
        _ban(site, "ip", ip_hash("203.0.113.9"))
        with pytest.raises(CommentRejected):
            post(ip="203.0.113.9", email="new@example.org")
        assert post(ip="203.0.113.10", email="new@example.org").status == S.APPROVED

    def test_ban_by_account(self, site, thread, make_user):
        reader, other = make_user("reader"), make_user("other")
        _ban(site, "user", str(reader.pk))

        def post_as(user):
            return services.comment_post(
                thread=thread,
                author=services.Author(name=user.username, email=user.email, user=user),
                body=f"by {user.username}",
                channel="form",
            )

        with pytest.raises(CommentRejected):
            post_as(reader)
        assert post_as(other).comment.status == S.APPROVED

    def test_bans_are_per_site(self, site, site_b, post, thread_b):
        _ban(site_b, "email", "aynur@example.org")
        assert post("on A").status == S.APPROVED
        with pytest.raises(CommentRejected):
            post("on B", on=thread_b)

    def test_expiry_is_honoured(self, site, post):
        ban = _ban(site, "email", "aynur@example.org", expires=timezone.now() - timedelta(1))
        assert post("after the ban").status == S.APPROVED
        ban.expires = timezone.now() + timedelta(days=1)
        ban.save()
        with pytest.raises(CommentRejected):
            post("during the ban")

    def test_html_form_shows_the_ban(self, site, client, article_url, guest_form):
        _ban(site, "email", "tural@example.org")
        response = client.post(article_url, guest_form(body="Let me in"))
        assert response.status_code == 403
        assert "You cannot comment on this site." in form_errors(response)
        assert "Let me in</textarea>" in html(response)
        assert not Comment.objects.exists()

    def test_api_refuses_the_ban(self, site, api, api_comment):
        _ban(site, "ip", ip_hash("127.0.0.1"))
        response = api.post("/comments", api_comment())
        assert response.status_code == 403
        assert response.json()["error"] == {
            "code": "rejected",
            "message": "You cannot comment on this site.",
        }

    def test_shadow_ban_wins_over_a_plain_one(self, site, post):
        _ban(site, "email", "aynur@example.org")
        _ban(site, "ip", ip_hash("203.0.113.9"), shadow=True)
        comment = post(ip="203.0.113.9")
        assert (comment.status, comment.shadow) == (S.SPAM, True)
        assert comment.moderation_reason == "shadow-banned"

    def test_shadow_ban_author_sees_published_nobody_else_does(
        self, site, client, article_url, guest_form, api, mod_client
    ):
        _ban(site, "email", "tural@example.org", shadow=True)
        response = client.post(article_url, guest_form(body="Only I see this"))
        assert response.status_code == 302
        comment = Comment.objects.get()
        assert (comment.status, comment.shadow) == (S.SPAM, True)
        assert response["Location"].endswith(f"#comment-{comment.pk}")

        # Its author (same session: own comment ids) sees it as if it were published.
        mine = html(client.get(article_url))
        assert "Only I see this" in mine and "awaiting moderation" not in mine
        assert client.get(f"/c/{comment.pk}").status_code == 302

        # Another reader, the permalink for them, and the API do not.
        assert "Only I see this" not in html(Client().get(article_url))
        assert Client().get(f"/c/{comment.pk}").status_code == 404
        thread = api.get("/threads", {"site": site.slug, "url": article_url}).json()
        assert thread["comments"] == [] and thread["count"] == 0

        # The moderator finds it in Spam, marked as shadow-banned.
        spam_tab = html(mod_client.get("/moderation/", {"tab": "spam"}))
        assert "Only I see this" in spam_tab
        row = spam_tab[spam_tab.index(f'id="row-{comment.pk}"') :]
        assert '<span class="tag">shadow-banned</span>' in row[: row.index("</li>")]
        assert "shadow-banned" in row[: row.index("</li>")]

    def test_shadow_ban_through_the_api(self, site, api, api_comment):
        _ban(site, "email", "aynur@example.org", shadow=True)
        response = api.post("/comments", api_comment(body="Shadowed"))
        assert response.status_code == 201  # the author is told it is published
        assert response.json()["published"] is True
        assert response.json()["comment"]["status"] == "approved"
        read = api.get("/threads", {"site": site.slug, "url": api_comment()["url"]}).json()
        assert read["comments"] == []
        assert Comment.objects.get().status == S.SPAM


# --- Rate limits --------------------------------------------------------------------------


class TestRateLimits:
    @pytest.fixture(autouse=True)
    def _limits_on(self, settings):
        settings.MEYDAN_RATELIMIT_COMMENTS = (3, 60)
        settings.MEYDAN_RATELIMIT_SITE_COMMENTS = None

    def test_per_ip_hash(self, post):
        for n in range(3):
            post(f"c{n}", email=f"r{n}@example.org", ip="203.0.113.1")
        with pytest.raises(RateLimited) as error:
            post("c3", email="r3@example.org", ip="203.0.113.1")
        assert 1 <= error.value.retry_after <= 60
        assert f"wait {error.value.retry_after} seconds" in str(error.value.message)
        assert "your text is still here" in str(error.value.message)
        # Another address is counted on its own.
        assert post("c4", email="r4@example.org", ip="203.0.113.2").status == S.APPROVED
        assert Comment.objects.count() == 4

    def test_per_identity_email(self, post):
        for n in range(3):
            post(f"c{n}", email="same@example.org", ip=f"203.0.113.{n}")
        with pytest.raises(RateLimited):
            post("c3", email="SAME@example.org", ip="203.0.113.50")

    def test_per_identity_account(self, thread, make_user):
        reader = make_user("reader")

        def post_as(n):
            return services.comment_post(
                thread=thread,
                author=services.Author(name="R", email=reader.email, user=reader),
                body=f"c{n}",
                ip=f"198.51.100.{n}",
                channel="form",
            )

        for n in range(3):
            post_as(n)
        with pytest.raises(RateLimited):
            post_as(3)

    def test_per_site(self, settings, post, thread_b):
        settings.MEYDAN_RATELIMIT_COMMENTS = None
        settings.MEYDAN_RATELIMIT_SITE_COMMENTS = (3, 60)
        for n in range(3):
            post(f"c{n}", email=f"r{n}@example.org", ip=f"203.0.113.{n}")
        with pytest.raises(RateLimited):
            post("c3", email="r3@example.org", ip="203.0.113.3")
        # Another site has its own budget.
        assert post("on b", email="r4@example.org", on=thread_b).status == S.APPROVED

    def test_sliding_window(self):
        # Three events late in window 0 (seconds 50..59 of 0..60).
        for t in (50, 52, 55):
            assert rate_limit.hit("t", "k", 3, 60, now=t) == 0
        assert rate_limit.hit("t", "k", 3, 60, now=58) > 0
        # At 70 s, 50/60 of the previous window still counts: 2.5 + 1 > 3.
        wait = rate_limit.hit("t", "k", 3, 60, now=70)
        assert wait == 10  # (3.5 - 3) * 60 / 3
        # At 80 s only 40/60 does: 2 + 1 <= 3, allowed.
        assert rate_limit.hit("t", "k", 3, 60, now=80) == 0
        # A fixed window would have allowed three at once at 60 s; the sliding one did not.
        assert rate_limit.hit("t", "k", 3, 60, now=81) > 0

    def test_refused_attempts_are_not_counted(self):
        for t in (1, 2):
            assert rate_limit.hit("t", "k", 2, 60, now=t) == 0
        for t in range(3, 50):
            assert rate_limit.hit("t", "k", 2, 60, now=t) > 0
        # Two windows later the earlier flood counts for nothing.
        assert rate_limit.hit("t", "k", 2, 60, now=125) == 0
        assert rate_limit.hit("t", "k", 2, 60, now=126) == 0

    def test_api_429_with_retry_after(self, api, api_comment):
        for n in range(3):
            assert api.post("/comments", api_comment(body=f"c{n}")).status_code == 201
        response = api.post("/comments", api_comment(body="c3"))
        assert response.status_code == 429
        error = response.json()["error"]
        assert error["code"] == "rate_limited"
        retry = int(response["Retry-After"])
        assert 1 <= retry <= 60 and f"wait {retry} seconds" in error["message"]
        assert Comment.objects.count() == 3

    def test_html_form_clear_message(self, client, article_url, guest_form):
        for n in range(3):
            assert client.post(article_url, guest_form(body=f"c{n}")).status_code == 302
        response = client.post(article_url, guest_form(body="Fourth, kept"))
        assert response.status_code == 429
        retry = int(response["Retry-After"])
        assert f"Please wait {retry} seconds and try again" in form_errors(response)
        assert "Fourth, kept</textarea>" in html(response)
        assert Comment.objects.count() == 3

    def test_spoofed_forwarded_for_does_not_escape_without_trusted_proxies(
        self, settings, client, article_url, guest_form
    ):
        settings.MEYDAN_TRUSTED_PROXIES = 0
        for n in range(3):
            response = client.post(
                article_url,
                guest_form(body=f"c{n}", email=f"r{n}@example.org"),
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            )
            assert response.status_code == 302
        response = client.post(
            article_url,
            guest_form(body="c3", email="r3@example.org"),
            HTTP_X_FORWARDED_FOR="198.51.100.99",
        )
        assert response.status_code == 429
        assert set(Comment.objects.values_list("ip_hash", flat=True)) == {ip_hash("127.0.0.1")}

    def test_with_one_trusted_proxy_only_the_rightmost_entry_counts(
        self, settings, client, article_url, guest_form
    ):
        settings.MEYDAN_TRUSTED_PROXIES = 1
        proxy = {"REMOTE_ADDR": "10.0.0.1"}
        for n in range(3):
            response = client.post(
                article_url,
                guest_form(body=f"c{n}", email=f"r{n}@example.org"),
                HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.{n}, 203.0.113.7",
                **proxy,
            )
            assert response.status_code == 302
        assert set(Comment.objects.values_list("ip_hash", flat=True)) == {ip_hash("203.0.113.7")}
        # Prepending more fake entries does not make a new client.
        response = client.post(
            article_url,
            guest_form(body="c3", email="r3@example.org"),
            HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8, 203.0.113.7",
            **proxy,
        )
        assert response.status_code == 429
        # A different client (as our proxy saw it) is counted apart.
        response = client.post(
            article_url,
            guest_form(body="c4", email="r4@example.org"),
            HTTP_X_FORWARDED_FOR="203.0.113.8",
            **proxy,
        )
        assert response.status_code == 302

    def test_api_spoofed_forwarded_for_does_not_escape(self, settings, api, api_comment):
        settings.MEYDAN_TRUSTED_PROXIES = 0
        for n in range(3):
            response = api.post(
                "/comments",
                api_comment(body=f"c{n}", email=f"r{n}@example.org"),
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            )
            assert response.status_code == 201
        response = api.post(
            "/comments",
            api_comment(body="c3", email="r3@example.org"),
            HTTP_X_FORWARDED_FOR="198.51.100.200",
        )
        assert response.status_code == 429


# --- Moderation and disallowed words ------------------------------------------------------


def _author(**kw):
    fields = {"body": "A plain comment.", "name": "Aynur", "email": "aynur@example.org"}
    fields.update(kw)
    return fields


WHERE = {
    "text": lambda word: _author(body=f"I think {word.upper()} is fine."),
    "name": lambda word: _author(name=f"Mr {word.title()}"),
    "email": lambda word: _author(email=f"{word}@example.org"),
    "website": lambda word: _author(url=f"https://{word}.example.org/"),
}


class TestWords:
    @pytest.mark.parametrize("where", list(WHERE))
    def test_moderation_word_holds_and_names_the_word(self, site, post, where):
        site.moderation_words = "\n  \ncasinoz\n"  # blank lines match nothing
        site.save()
        assert post("Harmless", email="x@example.org").status == S.APPROVED
        fields = WHERE[where]("casinoz")
        comment = post(fields.pop("body"), **fields)
        assert comment.status == S.PENDING
        assert comment.moderation_reason == "held: moderation word “casinoz”"

    def test_moderation_word_in_the_ip_hash(self, site, post):
        hashed = ip_hash("203.0.113.9")
        site.moderation_words = hashed[:12]
        site.save()
        assert post("from elsewhere", ip="203.0.113.10").status == S.APPROVED
        comment = post("from there", ip="203.0.113.9")
        assert comment.status == S.PENDING
        assert comment.moderation_reason == f"held: moderation word “{hashed[:12]}”"

    def test_phrases_and_case(self, site, post):
        site.moderation_words = "Cheap Pills\nfree money"
        site.save()
        assert post("Get CHEAP PILLS here").moderation_reason == (
            "held: moderation word “cheap pills”"
        )
        assert post("cheap and pills").status == S.APPROVED

    @pytest.mark.parametrize("where", list(WHERE))
    def test_disallowed_word_spam(self, site, post, where):
        site.disallowed_words = "viagrax"
        site.disallowed_action = "spam"
        site.save()
        fields = WHERE[where]("viagrax")
        comment = post(fields.pop("body"), **fields)
        assert comment.status == S.SPAM
        assert comment.moderation_reason == "spam: disallowed word “viagrax”"

    def test_disallowed_word_reject(self, site, post, client, article_url, guest_form, api):
        site.disallowed_words = "viagrax"
        site.disallowed_action = "reject"
        site.save()
        with pytest.raises(CommentRejected) as error:
            post("buy VIAGRAX")
        assert "words this site does not accept" in str(error.value.message)
        response = client.post(article_url, guest_form(body="viagrax again"))
        assert response.status_code == 403
        assert "words this site does not accept" in form_errors(response)
        assert "viagrax again</textarea>" in html(response)
        assert not Comment.objects.exists()

    def test_disallowed_beats_moderation_word(self, site, post):
        site.moderation_words = "rally"
        site.disallowed_words = "scam"
        site.save()
        comment = post("rally scam")
        assert comment.status == S.SPAM


# --- Duplicates ---------------------------------------------------------------------------


class TestDuplicates:
    def test_same_text_same_author_same_thread_is_refused(self, post):
        post("Exactly this.")
        with pytest.raises(CommentRejected) as error:
            post("Exactly this.", email="AYNUR@example.org")
        assert "already posted this comment" in str(error.value.message)
        assert Comment.objects.count() == 1

    def test_others_and_other_threads_may_say_the_same(self, post, site):
        other_thread = services.thread_get_or_create(site=site, key="/other/")
        post("Agreed.")
        assert post("Agreed.", email="tural@example.org").status == S.APPROVED
        assert post("Agreed.", on=other_thread).status == S.APPROVED

    def test_a_trashed_one_does_not_count(self, post):
        first = post("Once more.")
        moderation.comment_moderate(first, "trash", actor=None)
        assert post("Once more.").status == S.APPROVED

    def test_a_held_one_counts(self, post, site):
        site.hold_all = True
        site.save()
        post("Double click.")
        with pytest.raises(CommentRejected):
            post("Double click.")

    def test_signed_in_reader(self, thread, make_user):
        reader = make_user("reader")
        author = services.Author(name="R", email=reader.email, user=reader)
        services.comment_post(thread=thread, author=author, body="Mine.", channel="form")
        with pytest.raises(CommentRejected):
            services.comment_post(thread=thread, author=author, body="Mine.", channel="form")

    def test_anonymous_guest_by_ip(self, site, post):
        site.require_name_email = False
        site.save()
        post("No email.", email="", name="", ip="203.0.113.5")
        with pytest.raises(CommentRejected):
            post("No email.", email="", name="", ip="203.0.113.5")
        assert post("No email.", email="", name="", ip="203.0.113.6").status == S.APPROVED

    def test_html_and_api(self, client, article_url, guest_form, api, api_comment):
        assert client.post(article_url, guest_form(body="Twice")).status_code == 302
        again = client.post(article_url, guest_form(body="Twice"))
        assert again.status_code == 403
        assert "already posted this comment" in form_errors(again)
        assert api.post("/comments", api_comment(body="Twice")).status_code == 201
        response = api.post("/comments", api_comment(body="Twice"))
        assert response.status_code == 403 and response.json()["error"]["code"] == "rejected"


# --- Links --------------------------------------------------------------------------------


class TestLinks:
    def test_default_holds_two_links(self, post, site):
        assert site.hold_links == 2
        assert post("See https://a.example.org").status == S.APPROVED
        held = post("See https://a.example.org and www.b.example.org")
        assert (held.status, held.moderation_reason) == (S.PENDING, "held: 2 links")
        three = post("[a](https://a.example) http://b.example https://c.example/x?y=1")
        assert three.moderation_reason == "held: 3 links"

    def test_threshold_is_the_sites(self, post, site):
        site.hold_links = 4
        site.save()
        assert post("https://a.example https://b.example https://c.example").status == S.APPROVED
        body = "https://a.example https://b.example https://c.example https://d.example"
        assert post(body).moderation_reason == "held: 4 links"

    def test_zero_turns_it_off(self, post, site):
        site.hold_links = 0
        site.save()
        body = " ".join(f"https://{n}.example" for n in range(10))
        assert post(body).status == S.APPROVED

    def test_count_links(self):
        assert count_links("") == 0
        assert count_links("no links, just example.org") == 0
        assert count_links("HTTP://A.EXAMPLE and www.b.example and <https://c.example>") == 3


# --- First comment, hold all --------------------------------------------------------------


class TestFirstComment:
    @pytest.fixture(autouse=True)
    def _on(self, site):
        site.hold_first_comment = True
        site.save()

    def test_held_until_one_is_approved(self, post, moderator):
        first = post("Hello, first time here.")
        assert (first.status, first.moderation_reason) == (S.PENDING, "held: first comment")
        second = post("Still waiting.")
        assert second.status == S.PENDING
        moderation.comment_moderate(first, "approve", actor=moderator)
        assert post("Now I am known.", email="Aynur@Example.org").status == S.APPROVED
        assert post("Someone new.", email="new@example.org").status == S.PENDING

    def test_only_approvals_on_this_site_count(self, post, thread_b, moderator, make_user):
        elsewhere = post("On B.", on=thread_b)
        thread_b.site.moderators.add(moderator)
        moderation.comment_moderate(elsewhere, "approve", actor=moderator)
        assert post("On A.").status == S.PENDING

    def test_signed_in_reader(self, thread, make_user, moderator):
        reader = make_user("reader")
        author = services.Author(name="R", email=reader.email, user=reader)
        first = services.comment_post(
            thread=thread, author=author, body="One", channel="form"
        ).comment
        assert first.status == S.PENDING
        moderation.comment_moderate(first, "approve", actor=moderator)
        assert services.comment_post(
            thread=thread, author=author, body="Two", channel="form"
        ).comment.status == (S.APPROVED)

    def test_off_by_default(self, site, post):
        site.hold_first_comment = False
        site.save()
        assert post().status == S.APPROVED


def test_hold_all(site, post, moderator):
    site.hold_all = True
    site.save()
    first = post("One")
    moderation.comment_moderate(first, "approve", actor=moderator)
    second = post("Two")
    assert second.status == S.PENDING
    assert second.moderation_reason == "held: every comment needs approval"


# --- Closing threads after N days ---------------------------------------------------------


class TestAutoClose:
    def _age(self, thread, days):
        Thread.objects.filter(pk=thread.pk).update(created=timezone.now() - timedelta(days=days))
        thread.refresh_from_db()
        return thread

    def test_accepts_comments(self, site, thread):
        site.close_after_days = 3
        site.save()
        assert self._age(thread, 2).accepts_comments
        assert not self._age(thread, 4).accepts_comments
        site.close_after_days = 0
        site.save()
        assert self._age(thread, 4000).accepts_comments
        thread.is_open = False
        assert not thread.accepts_comments

    def test_closed_everywhere(self, site, thread, post, client, article_url, guest_form, api):
        site.close_after_days = 3
        site.save()
        self._age(thread, 4)
        with pytest.raises(ThreadClosed):
            post("late")
        page = client.get(article_url)
        assert "Comments are closed." in html(page) and 'name="body"' not in html(page)
        response = client.post(article_url, guest_form(body="late"))
        assert response.status_code == 403
        assert "Comments are closed" in html(response)
        api_response = api.post(
            "/comments",
            {"site": site.slug, "url": article_url, "body": "late", "name": "A",
             "email": "a@example.org"},
        )  # fmt: skip
        assert api_response.status_code == 403
        assert api_response.json()["error"]["code"] == "thread_closed"
        assert api.get("/threads", {"site": site.slug, "url": article_url}).json()["open"] is False
        assert not Comment.objects.exists()

    def test_importers_may_still_add(self, site, thread, post):
        site.close_after_days = 3
        site.save()
        self._age(thread, 4)
        assert post("imported", moderate=False).status == S.APPROVED


# --- Name and email for guests ------------------------------------------------------------


class TestRequireNameEmail:
    def test_required_by_default(self, site, post, client, article_url, guest_form, api):
        assert site.require_name_email is True
        with pytest.raises(InvalidComment) as error:
            post(name="", email="")
        assert set(error.value.errors) == {"name", "email"}
        response = client.post(article_url, guest_form(name="", email=""))
        assert response.status_code == 400
        assert "Please enter your name." in html(response)
        assert "Please enter your email address." in html(response)
        page = html(client.get(article_url))
        assert "Required, never published." in page
        assert re.search(r'for="id_email">Email <span class="required"', page)
        config = api.get(f"/sites/{site.slug}").json()
        assert config["limits"]["guest_email_required"] is True

    @pytest.fixture
    def optional(self, site):
        site.require_name_email = False
        site.save()
        return site

    def test_optional_service(self, optional, post):
        comment = post("Who am I?", name="  ", email="")
        assert (comment.author_name, address_of(comment)) == ("Anonymous", "")
        assert comment.status == S.APPROVED
        named = post("I am Leyla.", name="Leyla", email="leyla@example.org")
        assert named.author_name == "Leyla"
        # What is given must still be valid.
        with pytest.raises(InvalidComment) as error:
            post("bad", name="", email="not-an-email")
        assert set(error.value.errors) == {"email"}

    def test_optional_html_form(self, optional, client, article_url, guest_form):
        page = html(client.get(article_url))
        assert "Optional, never published." in page
        assert not re.search(r'for="id_email">Email <span class="required"', page)
        assert not re.search(r'for="id_name">Name <span class="required"', page)
        response = client.post(article_url, guest_form(name="", email="", body="Quietly"))
        assert response.status_code == 302
        comment = Comment.objects.get()
        assert (comment.author_name, address_of(comment)) == ("Anonymous", "")
        assert "Anonymous" in html(client.get(article_url))
        bad = client.post(article_url, guest_form(name="", email="nope", body="x"))
        assert bad.status_code == 400 and "Enter a valid email address" in html(bad)

    def test_optional_api(self, optional, api, api_comment, site):
        response = api.post("/comments", api_comment(name="", email=""))
        assert response.status_code == 201
        assert response.json()["comment"]["author"]["name"] == "Anonymous"
        config = api.get(f"/sites/{site.slug}").json()
        assert config["limits"]["guest_email_required"] is False

    def test_signed_in_readers_are_unaffected(self, optional, thread, make_user):
        reader = make_user("reader")
        comment = services.comment_post(
            thread=thread,
            author=services.Author(name="Reader R", email=reader.email, user=reader),
            body="hi",
            channel="form",
        ).comment
        assert comment.author_name == "Reader R" and comment.user == reader
