"""axe-core (the npm package, pinned in tests/axe/package.json) run in Chromium pages.

    context = axe_context(browser, "fa")      # axe in every frame, Accept-Language: fa
    page = context.new_page(); page.goto(url)
    check(page, "article")                    # AssertionError listing every violation

`check` runs the WCAG 2.2 A and AA rules only (the tags below) and fails on any
violation, whatever its impact, with one readable paragraph per rule: its id, impact,
what it checks, the help URL, and the CSS selector of each offending element with
axe's own summary of what is wrong there. axe's "incomplete" results (a colour it
cannot compute over a background image, for instance) are not failures: they are
what docs/accessibility.md lists among the manual checks.

`npm ci` in tests/axe installs it (.ci/run does); without it the tests skip, or fail
under MEYDAN_REQUIRE_ALL=1.
"""

import json
from pathlib import Path

from tests.conftest import require_tool

AXE_DIR = Path(__file__).resolve().parent.parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe tags each rule with the criteria it checks).
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pinned_version() -> str:
    return json.loads((AXE_DIR / "package.json").read_text())["dependencies"]["axe-core"]


def installed_version() -> str | None:
    manifest = AXE_DIR / "node_modules" / "axe-core" / "package.json"
    if not (AXE_JS.exists() and manifest.exists()):
        return None
    return json.loads(manifest.read_text())["version"]


def require_axe() -> Path:
    """The path of axe.min.js; skips (or fails under MEYDAN_REQUIRE_ALL=1) without it."""
    installed = installed_version()
    require_tool(
        installed is not None,
        f"axe-core is not installed: run `npm ci` in {AXE_DIR} (needs Node.js and npm)",
    )
    require_tool(
        installed == pinned_version(),
        f"axe-core {installed} is installed but {pinned_version()} is pinned: "
        f"run `npm ci` in {AXE_DIR}",
    )
    return AXE_JS


def axe_context(browser, lang: str = "en", **options):
    """A browser context whose every frame has axe loaded before the page's own scripts
    run (an init script, so a Content-Security-Policy cannot block it), asking for
    `lang` as a reader whose browser is set to it does (Accept-Language)."""
    path = require_axe()
    options.setdefault("viewport", {"width": 1000, "height": 900})
    context = browser.new_context(
        locale=lang, extra_http_headers={"Accept-Language": f"{lang};q=1"}, **options
    )
    context.add_init_script(path=str(path))
    context.set_default_timeout(10_000)
    return context


def run(page, include: str | None = None) -> dict:
    """axe.run on the page (or only inside the elements matching `include`)."""
    return page.evaluate(
        """async ([include, tags]) => {
            const options = {runOnly: {type: "tag", values: tags},
                             resultTypes: ["violations"]};
            return await axe.run(include ? {include: [include]} : document, options);
        }""",
        [include, WCAG_22_AA],
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for rule in violations:
        lines.append(
            f"- {rule['id']} ({rule.get('impact') or 'no impact given'}): {rule['help']}\n"
            f"  {rule['helpUrl']}"
        )
        for node in rule["nodes"]:
            target = " >> ".join(
                " ".join(part) if isinstance(part, list) else part for part in node["target"]
            )
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            lines.append(f"    at {target}\n      {summary}")
    return "\n".join(lines)


def check(page, label: str, include: str | None = None) -> None:
    """Fail on any WCAG 2.2 A/AA violation axe finds on the page as it is now."""
    results = run(page, include)
    violations = results["violations"]
    if violations:
        count = sum(len(rule["nodes"]) for rule in violations)
        raise AssertionError(
            f"axe-core {results['testEngine']['version']} found {count} WCAG 2.2 A/AA "
            f"violation(s) on {label} ({page.url}):\n{describe(violations)}"
        )
