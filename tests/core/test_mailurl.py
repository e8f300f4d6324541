from pathlib import Path

import pytest

from meydan.core.mailurl import MailUrlError, email_settings

VAR = Path("/srv/meydan/var")


def test_unset_is_the_console():
    assert email_settings("", var_dir=VAR)["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp+tls://ana%40news.example:s%3Acret@mail.example:587",
         {"EMAIL_HOST": "mail.example", "EMAIL_PORT": 587, "EMAIL_USE_TLS": True,
          "EMAIL_USE_SSL": False, "EMAIL_HOST_USER": "ana@news.example",
          "EMAIL_HOST_PASSWORD": "s:cret"}),
        ("smtps://mail.example",
         {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False}),
        ("smtp://relay:2525?timeout=5", {"EMAIL_PORT": 2525, "EMAIL_TIMEOUT": 5.0,
                                         "EMAIL_HOST_USER": ""}),
        ("smtp://relay", {"EMAIL_PORT": 25}),
    ],
)  # fmt: skip
def test_smtp_urls(url, expected):
    found = email_settings(url, var_dir=VAR)
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert {k: found[k] for k in expected} == expected


def test_file_and_memory():
    assert email_settings("file:///srv/mail", var_dir=VAR)["EMAIL_FILE_PATH"] == "/srv/mail"
    assert email_settings("file://", var_dir=VAR)["EMAIL_FILE_PATH"] == "/srv/meydan/var/mail"
    assert email_settings("memory://", var_dir=VAR)["EMAIL_BACKEND"].endswith("locmem.EmailBackend")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("smtp+starttls://host", "must start with smtp://"),
        ("mail.example:587", "must start with"),
        ("smtp://host:abc", "port that is not a number"),
        ("smtp://:587", "names no host"),
        ("smtp://host?timeout=soon", "timeout must be a number"),
    ],
)
def test_a_bad_url_says_what_is_wrong(url, says):
    with pytest.raises(MailUrlError, match=says):
        email_settings(url, var_dir=VAR)
