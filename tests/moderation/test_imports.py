"""The import screens of the moderation workspace: staff upload an export, the
worker imports it (the same import as `meydan import`), the page shows progress and
the report, and the import can be undone from there."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from meydan.comments.models import Comment, Thread
from meydan.interchange.models import ImportBatch
from meydan.interchange.services import uploads_dir
from meydan.moderation.models import AuditEntry

SAMPLES = Path(__file__).parent.parent / "interchange" / "samples"

pytestmark = pytest.mark.django_db


def post(client, url, data):
    """A request whose after-commit work (queueing the import) runs: the test's
    transaction never commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


def upload(client, site, name="wordpress-6.1.xml", **fields):
    data = {
        "site": site.pk,
        "file": SimpleUploadedFile(name, (SAMPLES / name).read_bytes()),
        "maps": "host:127.0.0.1:8088=blog.example.org\nhttps",
        **fields,
    }
    return post(client, reverse("moderation:imports"), data)


def test_upload_runs_in_the_worker_and_shows_its_report(mod_client, site, work):
    response = upload(mod_client, site)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:import", args=[batch.pk])
    assert batch.state == ImportBatch.State.QUEUED and batch.upload
    assert not Comment.objects.exists()
    page = mod_client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page  # it reloads itself while it runs
    work()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE, batch.error
    assert Comment.objects.filter(thread__site=site).count() == 151
    assert not Path(uploads_dir() / f"{batch.pk}.upload").exists()  # the upload is gone
    page = mod_client.get(reverse("moderation:import", args=[batch.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "Added: approved</th><td>140" in page
    assert "Replies whose parent is not in the file" in page
    assert AuditEntry.objects.filter(action="import", actor__username="editor").exists()
    listing = mod_client.get(reverse("moderation:imports")).content.decode()
    assert "wordpress-6.1.xml" in listing and "151" in listing


def test_undo_from_the_page(mod_client, site, work):
    upload(mod_client, site)
    work()
    batch = ImportBatch.objects.get()
    response = mod_client.post(reverse("moderation:import", args=[batch.pk]), {"undo": "1"})
    assert response.status_code == 302
    assert not Comment.objects.exists() and not Thread.objects.exists()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    assert AuditEntry.objects.filter(action="import undo").exists()


def test_a_dry_run_changes_nothing_and_reports(mod_client, site, work):
    upload(mod_client, site, dry_run="on")
    work()
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.DONE and batch.dry_run
    assert batch.report["added_total"] == 151
    assert not Comment.objects.exists()
    page = mod_client.get(reverse("moderation:import", args=[batch.pk])).content.decode()
    assert "dry run: nothing is changed" in page and "Undo this import" not in page


def test_a_broken_file_fails_with_its_line_and_nothing_stored(mod_client, site, work, tmp_path):
    broken = (SAMPLES / "disqus.xml").read_bytes()[:3000]
    response = post(
        mod_client,
        reverse("moderation:imports"),
        {"site": site.pk, "file": SimpleUploadedFile("disqus.xml", broken)},
    )
    assert response.status_code == 302
    work()
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.FAILED
    assert "not well-formed XML" in batch.error and "line" in batch.error
    page = mod_client.get(reverse("moderation:import", args=[batch.pk])).content.decode()
    assert "Nothing of this file was imported." in page
    assert not Comment.objects.exists()


def test_bad_rules_are_refused_next_to_the_field(mod_client, site):
    response = upload(mod_client, site, maps="host:nothing")
    assert response.status_code == 200
    assert "write host:OLD=NEW" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_only_the_sites_one_moderates(client, make_user, site, mod_client):
    other = type(site).objects.create(name="Other", slug="other", origins="https://o.example")
    response = upload(mod_client, other)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    outsider = make_user("reader")
    client.force_login(outsider)
    assert client.get(reverse("moderation:imports")).status_code == 403
    upload(mod_client, site)
    batch = ImportBatch.objects.get()
    someone = make_user("other-editor", staff=True, moderates=[other])
    client.force_login(someone)
    assert client.get(reverse("moderation:import", args=[batch.pk])).status_code == 404


def test_why_an_import_failed_is_shown_in_the_moderators_language(mod_client, site, work):
    broken = (SAMPLES / "disqus.xml").read_bytes()[:3000]
    post(
        mod_client,
        reverse("moderation:imports"),
        {"site": site.pk, "file": SimpleUploadedFile("disqus.xml", broken)},
    )
    work()
    batch = ImportBatch.objects.get()
    # The English stays (what `meydan import` says); the code and parameters beside it.
    assert batch.error.startswith("The file is not well-formed XML: ")
    assert batch.error_code == "bad_xml"
    line, column = batch.error_params["line"], batch.error_params["column"]
    mod_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = mod_client.get(reverse("moderation:import", args=[batch.pk])).content.decode()
    assert "Файл не является корректным XML: " in page
    assert f"(строка {line}, столбец {column})" in page
    assert "Из этого файла ничего не импортировано." in page
    assert "not well-formed" not in page


def test_a_batch_that_failed_before_codes_shows_its_english(mod_client, site):
    batch = ImportBatch.objects.create(
        site=site, format="disqus", filename="a.xml", state="failed", error="Old words."
    )
    mod_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = mod_client.get(reverse("moderation:import", args=[batch.pk])).content.decode()
    assert "<p>Old words.</p>" in page


def test_the_undo_is_counted_in_the_moderators_language(mod_client, site, work):
    upload(mod_client, site)
    work()
    batch = ImportBatch.objects.get()
    mod_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    url = reverse("moderation:import", args=[batch.pk])
    page = mod_client.post(url, {"undo": "1"}, follow=True).content.decode()
    assert "Импорт отменён: удалён 151 комментарий." in page


def test_a_bad_rule_is_refused_in_the_moderators_language(mod_client, site):
    mod_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = upload(mod_client, site, maps="host:nothing\nsideways")
    assert response.status_code == 200
    assert "«host:nothing»: напишите так: host:OLD=NEW." in response.content.decode()
    response = upload(mod_client, site, maps="sideways")
    assert "«sideways» — не правило: используйте host:OLD=NEW" in response.content.decode()
    assert not ImportBatch.objects.exists()
