"""Files that must not be imported: each refused with a clear message (line and column
where it has them), quickly and in little memory, and nothing of it stored."""

import json
import resource
import time
from pathlib import Path

import pytest

from meydan.comments.models import Comment, Thread
from meydan.interchange import services
from meydan.interchange.models import ImportBatch
from meydan.interchange.records import ImportFileError
from tests.sealed import address_of

SAMPLES = Path(__file__).parent / "samples"
WXR = (SAMPLES / "wordpress-6.1.xml").read_bytes()
DISQUS = (SAMPLES / "disqus.xml").read_bytes()

pytestmark = pytest.mark.django_db

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<wp:post_id>1</wp:post_id><wp:comment><wp:comment_id>1</wp:comment_id>
<wp:comment_content>&lol9;</wp:comment_content></wp:comment></item></channel></rss>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<wp:post_id>1</wp:post_id><wp:comment><wp:comment_id>1</wp:comment_id>
<wp:comment_content>&secret;</wp:comment_content></wp:comment></item></channel></rss>
"""

XINCLUDE = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:xi="http://www.w3.org/2001/XInclude"><channel><item>
<wp:post_id>1</wp:post_id><wp:comment><wp:comment_id>1</wp:comment_id>
<wp:comment_content><xi:include href="/etc/passwd" parse="text"/></wp:comment_content>
</wp:comment></item></channel></rss>
"""


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def two_roots(data: bytes) -> bytes:
    return data + b"\n<rss></rss>\n"


def wrong_encoding(data: bytes) -> bytes:
    # Declared UTF-8, written in another encoding (ISO-8859-9, Turkish and Azeri).
    return data.decode("utf-8").replace("ə", "e").encode("iso-8859-9", "replace")


CASES = {
    "entity bomb": (BOMB, "declares a document type"),
    "external entity": (EXTERNAL, "declares a document type"),
    "xinclude": (XINCLUDE, "XInclude"),
    "truncated wxr": (truncated(WXR), "not well-formed XML"),
    "truncated disqus": (truncated(DISQUS), "not well-formed XML"),
    "two roots": (two_roots(WXR), "not well-formed XML: Extra content at the end"),
    "wrong encoding declared": (wrong_encoding(WXR), "not well-formed XML"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_refused_clearly_and_nothing_stored(site, tmp_path, name):
    data, message = CASES[name]
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(ImportFileError, match=message) as refused:
        services.import_file(path, site, fmt="wordpress" if b"wordpress" in data[:600] else None)
    assert time.monotonic() - started < 0.5
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 20_000
    if "well-formed" in message:
        assert refused.value.line is not None and refused.value.column is not None
        assert f"(line {refused.value.line}, column {refused.value.column})" in str(refused.value)
    assert not Comment.objects.exists() and not Thread.objects.exists()
    assert not ImportBatch.objects.exists()


def test_the_secret_file_is_never_read(site, tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(EXTERNAL.replace(b"&secret;", b"&secret; text"))
    with pytest.raises(ImportFileError):
        services.import_file(path, site, fmt="wordpress")
    assert not Comment.objects.filter(body__contains="root:").exists()


def test_control_characters_and_bad_fields_are_cleaned_and_counted(site, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            {
                "format": "meydan-comments",
                "version": 1,
                "source": "meydan",
                "threads": [
                    {
                        "key": "/a/",
                        "url": "https://blog.example.org/a/",
                        "comments": [
                            {
                                "id": "x-1",
                                "parent": None,
                                "created": "2020-01-01T00:00:00Z",
                                "status": "approved",
                                "author": {
                                    "name": "Ay\u0000nur" + "n" * 150,
                                    "email": "not an address",
                                    "website": "javascript:alert(1)",
                                },
                                "body": "Gözəl\u0000 yazı\u001b.",
                            },
                            {
                                "id": "x-2",
                                "parent": None,
                                "created": "2020-01-01T00:00:00Z",
                                "status": "approved",
                                "body": "\u0000  ",
                            },
                        ],
                    }
                ],
            }
        ).replace("\\\\u", "\\u")
    )
    _, report = services.import_file(path, site)
    assert report.cleaned == {
        "body: control characters removed": 2,
        "name: control characters removed": 1,
        "name shortened": 1,
        "email dropped (not an address)": 1,
        "website dropped (not a web address)": 1,
    }
    assert report.skipped == {"empty comment": 1}
    comment = Comment.objects.get()
    assert comment.body == "Gözəl yazı."
    assert comment.author_name == ("Aynur" + "n" * 150)[:100]
    assert address_of(comment) == "" and comment.author_url == ""


def test_a_meydan_file_with_a_bad_record_names_it(site, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        '{"format": "meydan-comments", "version": 1, "source": "meydan", "threads": [\n'
        '{"key": "/a/", "comments": [{"id": "1", "created": "yesterday", "body": "x"}]}]}'
    )
    with pytest.raises(ImportFileError, match="Comment '1': the date 'yesterday' is not ISO"):
        services.import_file(path, site)
    path.write_text('{"format": "meydan-comments", "version": 1, "source": "meydan", "threads": [')
    with pytest.raises(ImportFileError, match="not valid JSON"):
        services.import_file(path, site)
    assert not Comment.objects.exists()
