"""Exports: Meydan JSON round-trips byte for byte through an empty database; WXR and
Disqus XML are well-formed, in their formats, and Meydan reads them back the same."""

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree

from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import Reason
from meydan.comments.services import Author, comment_erase, comment_post
from meydan.interchange import services
from meydan.interchange.models import ImportBatch, ImportedComment
from meydan.interchange.writers import write
from meydan.sites.models import Site

SAMPLES = Path(__file__).parent / "samples"
MAP = ["host:127.0.0.1:8088=blog.example.org", "https"]

pytestmark = pytest.mark.django_db


def export(site, fmt, **kwargs) -> bytes:
    out = io.BytesIO()
    write(site, fmt, out, **kwargs)
    return out.getvalue()


def empty_database():
    """Everything gone but the site: what `meydan migrate` and the site leave."""
    ImportBatch.objects.all().delete()
    ImportedComment.objects.all().delete()
    Comment.objects.all().delete()
    Thread.objects.all().delete()


def populated(site):
    services.import_file(SAMPLES / "wordpress-6.1.xml", site, maps=MAP)
    thread = Thread.objects.select_related("site").get(key="/2015/05/own/")
    first = comment_post(
        thread=thread,
        author=Author(name="Leyla", email="leyla@example.org", url="https://leyla.example"),
        body="Written **here**, with\na break.",
        channel="api",
        moderate=False,
    ).comment
    reply = comment_post(
        thread=thread,
        author=Author(name="Aynur", email="aynur@example.org"),
        body="A reply.",
        parent_id=first.pk,
        channel="api",
        moderate=False,
    ).comment
    comment_post(
        thread=thread,
        author=Author(name="Ruslan", email="r@example.org"),
        body="Withdrawn later.",
        parent_id=reply.pk,
        channel="api",
        moderate=False,
    )
    # A withdrawn comment with a reply keeps its place as a placeholder.
    comment_erase(reply, reason=Reason.of("erased", how="deleted by its author"), channel="api")


@pytest.fixture
def own_thread(site):
    Thread.objects.create(
        site=site, key="/2015/05/own/", url="https://blog.example.org/2015/05/own/"
    )


def test_meydan_json_round_trips_byte_for_byte(site, own_thread, tmp_path):
    populated(site)
    reasons = reasons_stored()
    assert reasons[("imported", '{"source": "wordpress"}')] == 151
    assert reasons[("erased", '{"how": "deleted by its author"}')] == 1
    first = export(site, "meydan")
    path = tmp_path / "export.json"
    path.write_bytes(first)
    empty_database()
    _, report = services.import_file(path, site)
    assert report.format == "meydan" and sum(report.added.values()) == 154
    assert export(site, "meydan") == first
    # The export keeps reasons as their English record: read back as the same codes.
    assert reasons_stored() == reasons


def reasons_stored() -> Counter:
    rows = Comment.objects.values_list("reason_code", "reason_params")
    return Counter((code, json.dumps(params, sort_keys=True)) for code, params in rows)


def test_one_thread_only(site, own_thread):
    populated(site)
    data = export(site, "meydan", thread_key="/2015/05/own/")
    assert data.count(b'"key": ') == 2  # the site's and the thread's
    assert b"Written **here**" in data and "Gözəl".encode() not in data


def test_wxr_is_well_formed_wxr_and_reads_back(site, own_thread, tmp_path):
    populated(site)
    data = export(site, "wxr")
    root = etree.fromstring(data)
    wp = "{http://wordpress.org/export/1.2/}"
    assert root.findtext(f"channel/{wp}wxr_version") == "1.2"
    items = root.findall("channel/item")
    assert len(items) == Thread.objects.count()
    assert len(root.findall(f"channel/item/{wp}comment")) == Comment.objects.count()
    path = tmp_path / "back.xml"
    path.write_bytes(data)
    other = Site.objects.create(name="Copy", slug="copy", origins="https://blog.example.org")
    _, report = services.import_file(path, other)
    assert report.format == "wordpress" and sum(report.added.values()) == 154
    assert report.orphans == 0  # the first import attached them to their threads
    original = Comment.objects.filter(thread__site=site)
    copied = Comment.objects.filter(thread__site=other)

    # WXR keeps dates to the second.
    def seen(comments):
        return sorted(
            (name, status, created.replace(microsecond=0), depth)
            for name, status, created, depth in comments.values_list(
                "author_name", "status", "created", "depth"
            )
        )

    assert seen(original) == seen(copied)
    assert sorted(original.values_list("body_html", flat=True)) == sorted(
        copied.values_list("body_html", flat=True)
    )


def test_disqus_xml_is_well_formed_and_reads_back(site, own_thread, tmp_path):
    populated(site)
    data = export(site, "disqus")
    root = etree.fromstring(data)
    ns = "{http://disqus.com}"
    assert root.tag == f"{ns}disqus"
    assert len(root.findall(f"{ns}post")) == Comment.objects.count()
    path = tmp_path / "back.xml"
    path.write_bytes(data)
    other = Site.objects.create(name="Copy", slug="copy", origins="https://blog.example.org")
    _, report = services.import_file(path, other)
    assert report.format == "disqus"
    # Disqus has no "held": pending comments travel with isApproved false.
    statuses = Counter(Comment.objects.filter(thread__site=site).values_list("status", flat=True))
    assert report.added == statuses


def test_the_export_command(site, own_thread, tmp_path):
    populated(site)
    target = tmp_path / "out.json"
    call_command("export", "--site", site.slug, "--format", "meydan", "--output", str(target))
    assert target.read_bytes() == export(site, "meydan")
    with pytest.raises(CommandError, match="no thread at"):
        call_command("export", "--site", site.slug, "--thread", "/nowhere/", "-o", str(target))
    with pytest.raises(CommandError, match="no site"):
        call_command("export", "--site", "nope")
