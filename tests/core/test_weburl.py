"""Addresses are read the way browsers read them (the WHATWG URL standard)."""

import pytest

from meydan.core.weburl import origin_of, site_path, web_url


@pytest.mark.parametrize(
    ("value", "href"),
    [
        ("https://blog.example.org/2015/06/rally/", "https://blog.example.org/2015/06/rally/"),
        ("HTTP://EXAMPLE.com:80/a", "http://example.com/a"),
        ("https://example.com:443", "https://example.com/"),
        ("http://example.com:8080/a?b=c#d", "http://example.com:8080/a?b=c#d"),
        # A browser reads the backslash as a slash: the host is example.com.
        ("http://example.com\\@evil.example", "http://example.com/@evil.example"),
        ("http:\\\\evil.example/x", "http://evil.example/x"),
        ("http:///example.com/", "http://example.com/"),
        (" http://exa\nmple.com/\t ", "http://example.com/"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("http://[0:0::1]:8080/x", "http://[::1]:8080/x"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://EXAMPLE.org./", "https://example.org./"),
        ("http://ex%41mple.com/", "http://example.com/"),
        ('http://example.com/a b/"x"', "http://example.com/a%20b/%22x%22"),
        ("http://example.com/a/../../b/./c", "http://example.com/b/c"),
        ("http://example.com/%2e%2e/x", "http://example.com/x"),
        ("http://example.com/é?q=é", "http://example.com/%C3%A9?q=%C3%A9"),
    ],  # fmt: skip
)
def test_addresses_are_read_as_a_browser_reads_them(value, href):
    assert web_url(value).href == href


@pytest.mark.parametrize(
    "value",
    [
        "",
        "example.com",
        "/path",
        "//example.com/",
        "ftp://example.com/",
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "http://user:pw@example.com/",
        "http://user@example.com/",
        "http://a@b@example.com/",
        "http://example.com:65536/",
        "http://example.com:8o/",
        "http://256.256.256.256/",
        "http://1.2.3.4.5/",
        "http://[::1/",
        "http://exa mple.com/",
        "http://exa<mple.com/",
        "http:///",
        "http://%00example.com/",
    ],  # fmt: skip
)
def test_what_is_not_an_http_address_or_hides_its_host_is_refused(value):
    assert web_url(value) is None


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("/2015/06/rally/", "/2015/06/rally/"),
        ("/a?x=1#c", "/a?x=1#c"),
        ("/a/../../b", "/b"),
        ("/%2e%2e/x", "/x"),
        ("/a\\b", "/a/b"),
    ],  # fmt: skip
)
def test_site_paths(value, path):
    assert site_path(value) == path


@pytest.mark.parametrize(
    "value",
    [
        "/\\127.0.0.3:9001/landing",  # a browser goes to //127.0.0.3:9001/landing
        "\\/evil.example/",
        "//evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        " //evil.example",
        "https://evil.example/",
        "evil.example",
        "",
    ],  # fmt: skip
)
def test_site_paths_that_would_leave_the_site_are_refused(value):
    assert site_path(value) is None


def test_origins():
    assert origin_of("https://Blog.Example.org:443/x/") == "https://blog.example.org"
    assert origin_of("http://127.0.0.2:8001") == "http://127.0.0.2:8001"
    assert origin_of("http://a@blog.example.org/") is None
