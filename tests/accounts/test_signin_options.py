"""Which sign-in icons to show is asked by every signed-out page: it is cached, and
an operator's change in the admin shows at once."""

import pytest
from allauth.socialaccount.models import SocialApp
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.accounts.providers import signin_options

pytestmark = pytest.mark.django_db


def test_the_apps_table_is_read_once(rf, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    request = rf.get("/")
    assert signin_options(request) == []
    with CaptureQueriesContext(connection) as queries:
        assert signin_options(request) == []
    assert not [q for q in queries if "socialaccount_socialapp" in q["sql"]]


def test_an_app_added_or_removed_in_the_admin_shows_at_once(rf, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    request = rf.get("/")
    assert signin_options(request) == []
    app = SocialApp.objects.create(provider="google", name="Google", client_id="i", secret="s")
    assert [option.id for option in signin_options(request)] == ["google"]
    app.delete()
    assert signin_options(request) == []


def test_providers_from_settings_show_when_the_settings_change(rf, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    request = rf.get("/")
    assert signin_options(request) == []
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "i", "secret": "s"}]}}
    assert [option.id for option in signin_options(request)] == ["google"]
