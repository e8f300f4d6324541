import pytest
from django.core.management import CommandError, call_command

from meydan.comments.models import Comment
from meydan.core.errors import NotFound
from meydan.moderation.models import AuditEntry
from meydan.sites.lookup import site_for_slug
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db


def test_add_prints_snippet_and_list_shows_it(capsys):
    call_command(
        "site", "add", "--name", "My blog", "--origin", "https://Blog.Example.org/",
        "--origin", "http://localhost:1313", "--base-url", "https://comments.example.org",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "Registered My blog as 'my-blog'." in out
    assert '<script src="https://comments.example.org/embed.js" data-meydan-site="my-blog"' in out
    site = Site.objects.get()
    assert site.origin_list == ["https://blog.example.org", "http://localhost:1313"]
    assert site.domain == "blog.example.org"
    call_command("site", "list")
    assert "my-blog" in capsys.readouterr().out


@pytest.mark.parametrize(
    "origin", ["blog.example.org", "ftp://blog.example.org", "https://blog.example.org/path"]
)
def test_add_refuses_bad_origins(origin):
    with pytest.raises(CommandError, match="origin"):
        call_command("site", "add", "--name", "X", "--origin", origin)
    assert not Site.objects.exists()


def test_remove(capsys, site):
    with pytest.raises(CommandError, match="No site"):
        call_command("site", "remove", "nope", "--yes")
    call_command("site", "remove", site.slug, "--yes")
    assert not Site.objects.exists()


def test_a_removed_site_stops_answering_at_once(site, post, django_capture_on_commit_callbacks):
    post("A comment on a site about to go.")
    site_for_slug(site.slug)  # cached
    with django_capture_on_commit_callbacks(execute=True):
        call_command("site", "remove", site.slug, "--yes")
    with pytest.raises(NotFound):
        site_for_slug(site.slug)
    assert not Comment.objects.exists() and not AuditEntry.objects.exists()


def test_second_site_with_same_name_gets_its_own_key():
    call_command("site", "add", "--name", "News", "--origin", "https://a.example")
    call_command("site", "add", "--name", "News", "--origin", "https://b.example")
    assert sorted(Site.objects.values_list("slug", flat=True)) == ["news", "news-2"]


def test_add_with_a_default_language(capsys):
    call_command(
        "site", "add", "--name", "Meydan Xəbər", "--origin", "https://xeber.example.az",
        "--language", "az",
    )  # fmt: skip
    assert Site.objects.get(domain="xeber.example.az").language == "az"
    with pytest.raises(CommandError):
        call_command(
            "site", "add", "--name", "X", "--origin", "https://x.example", "--language", "de"
        )
