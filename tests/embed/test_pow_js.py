"""pow.js, the proof-of-work solver (meydan/embed/static/embed/pow.js): its own SHA-256
against Node's for every salt length the padding can meet, its weight, and the rules
the widget keeps on other people's pages (tests/embed/test_widget_size.py)."""

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import require_tool

STATIC = Path(__file__).resolve().parents[2] / "meydan" / "embed" / "static" / "embed"
POW = STATIC / "pow.js"

HARNESS = Path(__file__).with_name("pow_harness.js")


def test_solver_finds_the_number_for_every_salt_length():
    node = shutil.which("node")
    require_tool(node is not None, "Node.js is not installed")
    result = subprocess.run(  # noqa: S603 - our own harness and file
        [node, str(HARNESS), str(POW)], capture_output=True, text=True, timeout=120, check=True
    )
    data = json.loads(result.stdout)
    assert all(found == wanted for wanted, found in data["out"]), data["out"]
    assert data["none"] is None  # no number in range: nothing is sent


def test_pow_js_is_small_and_keeps_the_widget_rules():
    source = POW.read_text(encoding="utf-8")
    assert len(gzip.compress(source.encode(), 9, mtime=0)) < 3500  # 2.1 KB without its comment
    code = source[source.index("*/") + 2 :]
    for banned in ("eval(", "new Function", ".style", "innerHTML", "style="):
        assert banned not in code, banned
    assert not re.search(r"https?://", code)


def test_the_widget_loads_it_only_from_its_own_server():
    widget = (STATIC / "embed.js").read_text(encoding="utf-8")
    assert 'ORIGIN + "/embed/pow.js"' in widget
    assert "onfocusin: pow" in widget  # on the form's first use, not on page load
