"""The plain-text shortcut of comments.rendering gives exactly what the full path
(markdown-it, then nh3) gives, for every text it takes: real comments from the spam
corpus and the WordPress export, and random texts built from the characters that
matter (Markdown punctuation, Unicode spaces, control characters, line breaks)."""

import csv
import random
from pathlib import Path

from meydan.comments import rendering

FIXTURES = Path(__file__).parent.parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "interchange" / "samples"


def full(text: str) -> str:
    return rendering.sanitize(rendering._comment_md.render(text)).strip()


def check(texts) -> int:
    taken = 0
    for text in texts:
        plain = rendering._plain_paragraphs(text)
        if plain is not None:
            taken += 1
            assert plain == full(text), text
        assert rendering.render_markdown(text) == full(text), text
    return taken


def test_real_comments():
    texts = []
    for path in sorted((FIXTURES / "spam" / "youtube-spam-collection").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            texts += [row["CONTENT"] for row in csv.DictReader(f)]
    wxr = (SAMPLES / "wordpress-6.1.xml").read_text()
    texts += [part.split("]]>")[0] for part in wxr.split("<wp:comment_content><![CDATA[")[1:]]
    texts += [t.replace("<br />", "\n").replace("&#39;", "'") for t in texts]
    assert check(texts) > 500  # the shortcut is taken for most of them


def test_random_texts():
    rng = random.Random(12)
    alphabet = list(
        "abc xyz əğıöüçş Жи \n\n\n .,;:?!'\"()/%$@^{}=-+1234567890😀é\u0301"
        "\u2028\u00a0\u2003\u3000\ufeff\u200b\u0085\x1c\x1f\t\r*_`[]<>&~|#\\"
    )
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(6_000)]
    assert check(texts) > 200


def test_what_it_makes():
    assert rendering.render_markdown("a\nb\n\n\nc") == "<p>a<br>\nb</p>\n<p>c</p>"
    assert rendering._plain_paragraphs("*not plain*") is None
    assert rendering._plain_paragraphs("1. a list") is None
