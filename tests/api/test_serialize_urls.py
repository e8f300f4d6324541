"""url_for builds the URLs of a page's comments as reverse() would."""

import pytest
from django.urls import reverse, set_script_prefix

from meydan.api.v1.serialize import url_for

VALUES = ["abc123", "0f" * 32, "p/x", "naïve café", "a b?c#d%e", "", "987654321", 7, 123456]


@pytest.mark.parametrize("prefix", ["/", "/comments/"])
@pytest.mark.parametrize("name", ["accounts:avatar", "accounts:picture", "comment-permalink"])
def test_url_for_is_reverse(name, prefix):
    set_script_prefix(prefix)
    values = VALUES if name.startswith("accounts:") else [1, 7, 123456, 987654321]  # ids
    try:
        for value in values:
            try:
                expected = reverse(name, args=[value])
            except Exception as error:  # noqa: BLE001 - the same refusal either way
                with pytest.raises(type(error)):
                    url_for(name, value)
                continue
            assert url_for(name, value) == expected, value
    finally:
        set_script_prefix("/")
