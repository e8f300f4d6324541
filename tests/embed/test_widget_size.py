"""The embeddable widget (meydan/embed/static/embed/embed.{js,css}): its weight budget,
and the rules it must keep on other people's pages — no request to any host but
Meydan's, no HTML but the server's sanitised comment HTML, nothing a strict
Content-Security-Policy would block, CSS that stays inside `.meydan`.

These read the files as served (there is no build step); tests/browser/test_widget.py
drives the widget itself in Chromium.
"""

import importlib.util
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK_SIZE = ROOT / "meydan" / "embed" / "js" / "check_size.py"
STATIC = ROOT / "meydan" / "embed" / "static" / "embed"
JS = (STATIC / "embed.js").read_text(encoding="utf-8")
CSS = (STATIC / "embed.css").read_text(encoding="utf-8")

# Hosts reserved for documentation (RFC 2606): never a real request target.
DOC_HOSTS = re.compile(r"^([a-z0-9-]+\.)*example\.(org|com|net)$")


def _load_check_size():
    spec = importlib.util.spec_from_file_location("meydan_embed_check_size", CHECK_SIZE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _split_header(js: str) -> tuple[str, str]:
    """(the leading documentation comment, the code after it)."""
    assert js.startswith("/*"), "embed.js starts with its documentation comment"
    end = js.index("*/") + 2
    return js[:end], js[end:]


# --- weight -------------------------------------------------------------------


def test_widget_within_gzip_budget():
    check_size = _load_check_size()
    out = io.StringIO()
    ok = check_size.report(out)
    printed = out.getvalue()
    assert check_size.BUDGET == 20_480
    assert "embed.js" in printed and "embed.css" in printed and "total" in printed
    total = sum(gz for _, gz in check_size.sizes().values())
    assert ok, f"embed.js + embed.css are {total:,} bytes gzipped, over 20,480:\n{printed}"


def test_size_check_fails_over_budget(monkeypatch):
    check_size = _load_check_size()
    monkeypatch.setattr(check_size, "BUDGET", 100)
    out = io.StringIO()
    assert check_size.report(out) is False
    assert "OVER BUDGET" in out.getvalue()


def test_size_check_script_exit_status():
    import runpy

    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(CHECK_SIZE), run_name="__main__")
    assert done.value.code == 0


# --- no other hosts -----------------------------------------------------------


def test_no_absolute_url_in_the_code():
    """The widget only talks to the origin it was loaded from: no http(s) URL to any
    host, and no protocol-relative //host either, anywhere in the code."""
    _, code = _split_header(JS)
    assert not re.findall(r"https?:/{1,2}\S*", code, flags=re.IGNORECASE)
    assert not re.findall(r"[\"'`(=]\s*//[a-z0-9]", code, flags=re.IGNORECASE)
    assert not re.findall(r"\b(wss?|ftp):", code, flags=re.IGNORECASE)


def test_documentation_urls_use_reserved_example_hosts_only():
    """The top comment shows the embed snippet; its URLs may only name example hosts."""
    header, _ = _split_header(JS)
    hosts = re.findall(r"https?://([^/\s\"'<>]+)", header, flags=re.IGNORECASE)
    assert hosts, "the top comment documents the embed snippet"
    assert all(DOC_HOSTS.match(host.lower()) for host in hosts), hosts


def test_embed_snippet_is_documented():
    header, _ = _split_header(JS)
    for needle in (
        '<div id="meydan-thread"></div>',
        'data-meydan-site="KEY" async></script>',
        "<noscript>",
        "/embed/thread/?site=KEY&url=PAGE_URL",
        "data-meydan-url",
        "data-meydan-title",
        "data-meydan-count",
    ):
        assert needle in header, needle


def test_css_makes_no_request():
    assert "@import" not in CSS
    assert not re.search(r"url\s*\(", CSS, flags=re.IGNORECASE)
    assert not re.search(r"https?:", CSS, flags=re.IGNORECASE)


# --- safe on someone else's page ----------------------------------------------


def test_plain_strict_javascript_in_one_function():
    _, code = _split_header(JS)
    code = code.strip()
    assert code.startswith("(() => {") and code.endswith("})();")
    assert '"use strict";' in code[:40]
    for forbidden in ("eval(", "new Function", "document.write", 'setTimeout("', "import("):
        assert forbidden not in code, forbidden


def test_html_only_from_the_sanitised_field():
    """innerHTML is assigned only the API's `html` (sanitised by the server)."""
    _, code = _split_header(JS)
    assignments = re.findall(r"\.innerHTML\s*=\s*([^;]+);", code)
    assert assignments, "the comment HTML is inserted somewhere"
    assert all(re.fullmatch(r"[a-z]+\.html", rhs.strip()) for rhs in assignments), assignments
    for sink in ("outerHTML", "insertAdjacentHTML", "createContextualFragment", "DOMParser"):
        assert sink not in code, sink


def test_no_inline_styles():
    """A strict CSP (style-src without 'unsafe-inline') must not break the widget."""
    _, code = _split_header(JS)
    assert not re.search(r"\.style\b", code)
    assert "cssText" not in code
    assert not re.search(r"""["']style["']""", code)


def test_signin_message_checked_for_origin_and_source():
    _, code = _split_header(JS)
    assert "e.origin !== ORIGIN" in code
    assert "e.source !== popup" in code
    assert 'credentials: "omit"' in code


# --- CSS: scoped, themeable, accessible ---------------------------------------


def _selectors(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found = []
    for prelude in re.findall(r"([^{}]+)\{", css):
        prelude = prelude.strip()
        if prelude.startswith("@"):
            continue
        found.extend(part.strip() for part in prelude.split(","))
    return found


def test_every_css_rule_is_scoped_under_meydan():
    selectors = _selectors(CSS)
    assert len(selectors) > 50
    outside = [s for s in selectors if not re.match(r"\.meydan(?![-\w])", s)]
    assert not outside, outside


def test_css_is_themeable_light_and_dark_and_shows_focus():
    for prop in (
        "--meydan-text",
        "--meydan-muted",
        "--meydan-accent",
        "--meydan-border",
        "--meydan-surface",
        "--meydan-error",
        "--meydan-radius",
        "--meydan-font",
    ):
        assert f"var({prop}" in CSS, prop
    assert "@media (prefers-color-scheme: dark)" in CSS
    assert ":focus-visible" in CSS
    assert "!important" not in CSS.replace("[hidden] { display: none !important; }", "")
