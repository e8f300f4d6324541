"""The audit log's notes: stored as the English records they always were (they are
hashed into the chain), worded in the moderator's language on the log page."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from meydan.comments import services as comment_services
from meydan.interchange.models import ImportBatch
from meydan.moderation import services
from meydan.moderation.models import AuditEntry
from meydan.moderation.wording import audit_note_display, audit_note_parts
from tests.moderation.test_imports import upload

pytestmark = pytest.mark.django_db


def in_russian(note: str) -> str:
    with translation.override("ru"):
        return audit_note_display(note)


def test_every_note_moderation_writes_is_read_back_and_worded(
    mod_client, moderator, post, site, work, django_capture_on_commit_callbacks
):
    site.flag_threshold = 1
    site.save()
    a, b, c, d = (post(f"Comment {n}.") for n in range(4))
    services.comments_moderate_bulk([a], "trash", actor=moderator)
    services.comment_moderate(b, "spam", actor=moderator, note="admin", channel="admin")
    services.comment_flag(c, reporter_key="r1", reason="spam", channel="form")
    with django_capture_on_commit_callbacks(execute=True):  # the log hears it after commit
        comment_services.comment_withdraw(d, channel="form")
    upload(mod_client, site)
    upload(mod_client, site, dry_run="on")
    work()
    real = ImportBatch.objects.get(dry_run=False)
    mod_client.post(f"/moderation/imports/{real.pk}/", {"undo": "1"})

    notes = list(AuditEntry.objects.exclude(note="").order_by("pk").values_list("note", flat=True))
    dry = ImportBatch.objects.get(dry_run=True).pk
    assert notes == [
        "bulk",
        "admin",
        "1 reports",
        "by its author: deleted by its author",
        f"batch {real.pk}: wordpress-6.1.xml",
        f"batch {dry}: wordpress-6.1.xml (dry run)",
        f"batch {real.pk}: 151 comments removed, 0 kept",
    ]
    assert [audit_note_parts(note)[0] for note in notes] == [
        "bulk", "admin", "reports", "author", "import", "import", "import_undo",
    ]  # fmt: skip
    assert [in_russian(note) for note in notes] == [
        "массово",
        "из панели администратора",
        "1 жалоба",
        "отозван автором",
        f"импорт {real.pk}: wordpress-6.1.xml",
        f"импорт {dry}: wordpress-6.1.xml (пробный запуск)",
        f"импорт {real.pk}: удалён 151 комментарий, оставлено 0",
    ]

    mod_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = mod_client.get("/moderation/log/").content.decode()
    assert "(массово)" in page and "(1 жалоба)" in page and "(отозван автором)" in page
    assert f"(импорт {real.pk}: удалён 151 комментарий, оставлено 0)" in page
    assert "(bulk)" not in page and "reports)" not in page and "by its author" not in page
    # What is stored (and hashed) did not change: the chains still add up.
    call_command("audit", "verify", stdout=StringIO())


@pytest.mark.parametrize(
    ("note", "russian"),
    [
        ("1 reports", "1 жалоба"),
        ("2 reports", "2 жалобы"),
        ("5 reports", "5 жалоб"),
        ("21 reports", "21 жалоба"),
        ("batch 4: 1 comments removed, 2 kept", "импорт 4: удалён 1 комментарий, оставлено 2"),
        ("batch 4: 5 comments removed, 1 kept", "импорт 4: удалено 5 комментариев, оставлен 1"),
        ("by its author: removed by its author", "удалён автором"),
        ("by its author: author left, comments kept",
         "автор ушёл; его комментарии остаются, но без имени"),
        # Outside the grammar: a ban's reason as the moderator typed it, an unknown erase.
        ("Spam from a botnet", "Spam from a botnet"),
        ("by its author: some new reason", "by its author: some new reason"),
        ("batch x: not a number", "batch x: not a number"),
    ],
)  # fmt: skip
def test_notes_in_russian(note, russian):
    assert in_russian(note) == russian


def test_notes_in_the_other_languages():
    for language, words in [("az", "3 şikayət"), ("tr", "3 şikâyet"), ("fa", "3 گزارش")]:
        with translation.override(language):
            assert audit_note_display("3 reports") == words
    with translation.override("en"):
        assert audit_note_display("1 reports") == "1 report"
        assert audit_note_display("bulk") == "in bulk"
