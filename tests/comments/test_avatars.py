"""Avatar keys: 6 hex digits, the bits the picture is drawn from and no more."""

import random
import re

import pytest

from meydan.comments.avatars import KEY_LENGTH, avatar_key, identicon_svg, url_key
from meydan.core.privacy import keyed_hash


def test_a_key_is_six_hex_digits_of_the_readers_hmac():
    key = avatar_key(email="AYNUR@example.org ")
    assert re.fullmatch(r"[0-9a-f]{6}", key) and len(key) == KEY_LENGTH
    assert key == avatar_key(email="aynur@example.org")
    assert key != avatar_key(email="nigar@example.org")
    assert avatar_key(name="Aynur") == avatar_key(name=" aynur ")
    assert avatar_key(name="Aynur") != avatar_key(email="aynur@example.org")


def test_a_reader_keeps_the_picture_their_stored_key_drew():
    """Keys stored before were 20 digits of the same HMAC: the short key a reader
    gets now, and the URL their old comments are given, draw the same picture."""
    old = keyed_hash("avatar", "aynur@example.org", length=20)
    new = avatar_key(email="aynur@example.org")
    assert url_key(old) == new
    assert identicon_svg(old) == identicon_svg(new)


@pytest.mark.parametrize("seed", range(5))
def test_every_bit_the_picture_is_drawn_from_is_in_the_short_key(seed):
    rng = random.Random(seed)
    for _ in range(200):
        old = f"{rng.getrandbits(80):020x}"
        assert len(url_key(old)) == KEY_LENGTH
        assert identicon_svg(url_key(old)) == identicon_svg(old)
    # …and two keys that differ only in a digit the URL drops draw one picture.
    assert identicon_svg("ab" + "0" * 14 + "3456") == identicon_svg("ab" + "f" * 14 + "3456")
    # (bit 15 of the last two bytes is not drawn either: 15 cells)
    assert identicon_svg("ab0000") != identicon_svg("ab0001")


def test_a_short_key_is_given_as_it_is():
    assert url_key("ab12cd") == "ab12cd"


def test_an_eight_digit_key_stored_before_keeps_its_picture():
    """Keys were stored as 8 digits for a while: their URL is now their 6 digits."""
    old = keyed_hash("avatar", "nigar@example.org", length=20)
    eight = old[:2] + old[-6:]
    assert url_key(eight) == avatar_key(email="nigar@example.org")
    assert identicon_svg(url_key(eight)) == identicon_svg(eight) == identicon_svg(old)
