"""The spam filter's tokens and arithmetic (pure: no database)."""

import math

import pytest

from meydan.moderation import spamfilter
from meydan.moderation.spamfilter import Message, NaiveBayes, features


def tokens(body="", **fields):
    return features(Message(body=body, **fields))


def words(body):
    return [t for t in tokens(body) if ":" not in t and t != "has_link"]


# --- Words -------------------------------------------------------------------


def test_words_are_lower_cased_and_split_on_punctuation():
    assert words("Hello, WORLD! It's 3 o'clock.") == ["hello", "world", "it's", "o'clock"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("BAKIDA İnsanlar", ["bakida", "insanlar"]),  # capital I and İ fold like ı and i
        ("Bakıda insanlar", ["bakida", "insanlar"]),
        ("Şəhər ÇÖL ğ üzüm", ["şəhər", "çöl", "üzüm"]),  # one-letter tokens are dropped
        ("Азәрбајҹан ҺӨКУМӘТИ", ["азәрбајҹан", "һөкумәти"]),  # Azerbaijani Cyrillic
        ("Привет, МИР! Ёлка", ["привет", "мир", "елка"]),
        ("ｆｒｅｅ 𝐌𝐎𝐍𝐄𝐘", ["free", "money"]),  # NFKC: full-width and "bold" letters
    ],
)
def test_unicode_words(text, expected):
    assert words(text) == expected


def test_html_entities_are_decoded_and_tags_dropped():
    found = tokens("I&#39;m here &amp; there<br />now &quot;ok&quot; <i>really</i>")
    assert [t for t in found if ":" not in t] == ["i'm", "here", "there", "now", "ok", "really"]
    assert "39" not in found and "br" not in found and "quot" not in found
    assert "meta:html" in found


def test_invisible_characters_cannot_split_a_word():
    found = tokens("cheap vi\u200bag\u00adra here")
    assert "viagra" in found
    assert "meta:invisible_chars" in found
    assert "meta:invisible_chars" not in tokens("a normal comment\ufeff")  # a stray BOM


def test_mixed_scripts_in_a_word_are_a_feature():
    assert "meta:mixed_script" in tokens("log in to your pаypal")  # Cyrillic а
    assert "meta:mixed_script" not in tokens("Bakı və Москва")


def test_long_numbers_and_long_words_are_bucketed():
    found = tokens("call 0687119038 or 2024 " + "x" * 60)
    assert "num:10+" in found and "2024" in found and "word:long" in found
    assert "0687119038" not in found


def test_tokens_are_distinct_and_bounded():
    found = tokens(" ".join(f"word{n}" for n in range(2000)) + " again again")
    assert len(found) == len(set(found)) == spamfilter.MAX_TOKENS_PER_MESSAGE


# --- Links -------------------------------------------------------------------


def test_url_gives_domain_tokens_instead_of_words():
    found = tokens("Visit https://www.Example.org/cheap-path?x=1, now")
    assert {"has_link", "links:1", "domain:example.org", "tld:org"} <= set(found)
    assert words("Visit https://www.Example.org/cheap-path?x=1, now") == ["visit", "now"]


def test_subdomain_also_counts_for_its_parent():
    found = tokens("see http://promo.spam-shop.biz/x")
    assert {"domain:promo.spam-shop.biz", "domain:spam-shop.biz", "tld:biz"} <= set(found)


def test_bare_domains_with_common_tlds_are_links():
    assert "domain:murdev.com" in tokens("just for test I have to say murdev.com")
    assert "domain:sayt.az" in tokens("bax: sayt.az/xeber")
    assert "has_link" not in tokens("It ended.Then e.g. the file.txt was read.")


def test_link_count_buckets():
    assert "links:2" in tokens("a.com and http://b.org/x")
    three = tokens("http://a.com http://b.com www.c.com/ d.net")
    assert "links:3+" in three and "links:2" not in three
    assert "links:1" in tokens("http://a.com/x http://a.com/x")  # the same link twice


def test_html_link_keeps_its_target():
    found = tokens('<a href="http://spam.example.com/x?a=1&amp;b=2">click</a> here')
    assert {"meta:html_link", "has_link", "domain:spam.example.com", "click"} <= set(found)


def test_markdown_links_and_autolinks():
    found = tokens("[cheap watches](https://shop.example.biz/w) and <http://b.example.org/x>")
    assert {"links:2", "domain:shop.example.biz", "domain:b.example.org"} <= set(found)
    assert "meta:html" not in found and {"cheap", "watches"} <= set(found)


def test_ip_address_links():
    found = tokens("go to http://203.0.113.7/login now")
    assert {"domain:203.0.113.7", "domain:ip-address"} <= set(found)
    assert not any(t.startswith("tld:") for t in found)


def test_email_address_in_text_is_not_a_link():
    found = tokens("write to bob@mail.example.biz today")
    assert "meta:email_in_text" in found
    assert "has_link" not in found and "domain:mail.example.biz" not in found


# --- Metadata ----------------------------------------------------------------


def test_author_metadata():
    found = tokens(
        "Nice.",
        author_name="Cheap pills www.pills.biz",
        author_email="Someone@Mail.RU",
        author_url="https://www.shop.example.org/",
        signed_in=True,
        first_comment=True,
    )
    assert {
        "meta:name_has_link",
        "meta:website",
        "website:shop.example.org",
        "website:example.org",
        "email:m•••.ru",  # the domain as the address's mask shows it
        "meta:signed_in",
        "meta:first_comment",
    } <= set(found)
    plain = tokens("Nice.", author_name="Aynur", author_email="aynur@example.org")
    assert "meta:no_website" in plain and "meta:name_has_link" not in plain
    assert not {"meta:first_comment", "meta:returning", "meta:signed_in"} & set(plain)
    assert "meta:returning" in tokens("Nice.", first_comment=False)


@pytest.mark.parametrize(
    "length, bucket",
    [(5, "len:0-19"), (60, "len:50-99"), (700, "len:500-999"), (3000, "len:2000+")],
)
def test_length_buckets(length, bucket):
    assert bucket in tokens("a" * length)


def test_length_is_of_the_text_as_read():
    assert "len:0-19" in tokens("&#39;&#39;&#39;&#39;&#39;&#39;<br /><br />")


def test_capitals_and_repeated_punctuation():
    shouting = tokens("BUY CHEAP WATCHES NOW!!! sooooo good")
    assert {"caps:60+", "meta:repeated_punct", "meta:repeated_char"} <= set(shouting)
    calm = tokens("An ordinary sentence about the council.")
    assert "caps:0-9" in calm
    assert not {"meta:repeated_punct", "meta:repeated_char"} & set(calm)
    assert not any(t.startswith("caps:") for t in tokens("OK"))  # too short to say


def test_message_from_draft_like_objects_and_mappings():
    class Draft:
        body = "hi"
        author_name = "A"
        author_email = "a@example.org"
        author_url = ""
        user = object()

    message = spamfilter.message_from(Draft())
    assert message.body == "hi" and message.signed_in and message.first_comment is None
    message = spamfilter.message_from({"body": "hi", "first_comment": True})
    assert message == Message(body="hi", first_comment=True)


# --- Naive Bayes -------------------------------------------------------------

SPAM = [
    "check out my channel and subscribe http://spam.example.biz",
    "FREE money click here www.win-cash.biz",
    "subscribe to my channel please!!!",
    "make money from home, visit cash.example.biz",
]
HAM = [
    "the council vote was postponed again",
    "I was at the rally in Baku yesterday",
    "great reporting, thank you",
    "the mayor should answer these questions",
]


def trained():
    model = NaiveBayes()
    for text in SPAM:
        model.learn(tokens(text), True)
    for text in HAM:
        model.learn(tokens(text), False)
    return model


def test_empty_model_has_no_leaning():
    assert NaiveBayes().score(tokens("anything at all")) == pytest.approx(0.5)


def test_learning_moves_scores_the_right_way():
    model = trained()
    spammy = tokens("subscribe to my channel for free money http://spam.example.biz")
    hammy = tokens("the council should answer the questions about the rally")
    assert model.score(spammy) > 0.9
    assert model.score(hammy) < 0.1
    before = model.score(spammy)
    model.learn(spammy, True)
    assert model.score(spammy) > before
    before = model.score(hammy)
    model.learn(hammy, False)
    assert model.score(hammy) < before


def test_unlearn_reverses_learn_exactly():
    model = trained()
    snapshot = ({t: list(c) for t, c in model.tokens.items()}, list(model.docs), list(model.totals))
    new = tokens("a brand new comment with new words http://new.example.org")
    model.learn(new, True)
    assert model.tokens != snapshot[0]
    model.unlearn(new, True)
    assert ({t: list(c) for t, c in model.tokens.items()}, model.docs, model.totals) == snapshot


def test_probability_is_bounded_and_stable():
    huge = [(1000, 0)] * 5000
    assert spamfilter.spam_probability(
        spam_docs=10, ham_docs=10, spam_total=100, ham_total=100, vocabulary=50, counts=huge
    ) == pytest.approx(1.0)
    tiny = [(0, 1000)] * 5000
    score = spamfilter.spam_probability(
        spam_docs=10, ham_docs=10, spam_total=100, ham_total=100, vocabulary=50, counts=tiny
    )
    assert 0.0 <= score < 1e-12 and not math.isnan(score)
