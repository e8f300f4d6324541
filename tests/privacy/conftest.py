"""Fixtures for the retention tests: keys read afresh, comments and keys made old."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meydan.comments.models import Comment
from meydan.core.models import HashKey
from meydan.core.privacy import ip_keys_forget
from tests.accounts.test_provider_callbacks import provider_api, social_providers  # noqa: F401 - fixtures
from tests.mail import mailbox, smtp_server  # noqa: F401 - fixtures
from tests.moderation.conftest import (  # noqa: F401 - fixtures
    make_user,
    mod_client,
    moderator,
    site_b,
    thread_b,
)


@pytest.fixture(autouse=True)
def _keys_read_afresh():
    """Each test reads the IP keys from its own database (this process keeps them
    for minutes, and these tests age, add and delete them)."""
    ip_keys_forget()
    yield
    ip_keys_forget()


@pytest.fixture
def age_comment():
    """age_comment(comment, days): as if it had been posted `days` ago."""

    def _age(comment, days, *, now=None):
        created = (now or timezone.now()) - timedelta(days=days)
        Comment.objects.filter(pk=comment.pk).update(created=created)
        comment.created = created
        return comment

    return _age


@pytest.fixture
def rotate(settings):
    """rotate(): the current IP key grows older than MEYDAN_IP_KEY_DAYS (every key
    ages by that much and a day), as after a rotation period; the next hash makes
    a new key."""

    def _rotate(days=None):
        days = settings.MEYDAN_IP_KEY_DAYS + 1 if days is None else days
        for key in HashKey.objects.all():
            key.created -= timedelta(days=days)
            key.save(update_fields=["created"])
        ip_keys_forget()

    return _rotate
