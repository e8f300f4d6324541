"""The article page's form and the proof of work (moderation/checks/pow.py): the form
asks for a challenge for its own page, a solved one publishes, none holds, and a
reader without JavaScript is told beforehand (tests/browser/test_pow.py runs it)."""

import html as htmllib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.comments.models import Comment
from tests.moderation.conftest import altcha_solve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pow_on(settings):
    settings.MEYDAN_POW = True
    settings.MEYDAN_POW_DIFFICULTY = 1000


def pow_url(page: str) -> str:
    found = re.search(r'data-meydan-pow="([^"]+)"', page)
    assert found, "the form does not ask for a challenge"
    return htmllib.unescape(found.group(1))


def test_form_names_its_challenge_solver_and_warns_without_javascript(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    url = pow_url(page)
    assert url.startswith("/api/v1/challenge?site=caspian-ledger&url=")
    assert 'name="altcha" value=""' in page
    assert "embed/pow.js" in page and "<script src=" in page
    # Shown unless pow.js runs (and hides it).
    assert re.search(r'<p class="respond__pow">[^<]*wait for a moderator', page)


def test_solved_form_post_is_published_and_unsolved_is_held(client, article, guest_form):
    page = client.get(article.get_absolute_url()).content.decode()
    payload = altcha_solve(client.get(pow_url(page)).json())
    client.post(article.get_absolute_url(), guest_form(body="With work.", altcha=payload))
    client.post(article.get_absolute_url(), guest_form(body="Without JavaScript."))
    solved, unsolved = Comment.objects.order_by("pk")
    assert solved.status == Comment.Status.APPROVED
    assert unsolved.status == Comment.Status.PENDING
    assert unsolved.moderation_reason == "held: no proof of work"


def test_signed_in_reader_gets_no_challenge(article):
    user = get_user_model().objects.create_user("leyla", "leyla@example.org")
    reader = Client()
    reader.force_login(user)
    page = reader.get(article.get_absolute_url()).content.decode()
    assert "data-meydan-pow" not in page and "pow.js" not in page


def test_switched_off_the_form_has_no_challenge(client, article, settings):
    settings.MEYDAN_POW = False
    page = client.get(article.get_absolute_url()).content.decode()
    assert "data-meydan-pow" not in page and "wait for a moderator" not in page
