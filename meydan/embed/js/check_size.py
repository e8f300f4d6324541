"""Check the embeddable widget's weight: embed.js + embed.css, gzipped, must stay
within 20,480 bytes together (aim for about 12 KB).

    python meydan/embed/js/check_size.py

Prints each file's raw and gzip size and the total; exits 1 when over budget
(tests/embed/test_widget_size.py runs the same check). Sizes are for gzip at
level 9 (`gzip -9`), measured on the files as they are served: no build step.
"""

import gzip
import sys
from pathlib import Path

BUDGET = 20_480  # bytes, gzip, both files together
STATIC = Path(__file__).resolve().parent.parent / "static" / "embed"
FILES = ("embed.js", "embed.css")


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def sizes() -> dict[str, tuple[int, int]]:
    """{file name: (raw bytes, gzip bytes)}"""
    return {name: ((STATIC / name).stat().st_size, gzip_size(STATIC / name)) for name in FILES}


def report(out=sys.stdout) -> bool:
    """Print the sizes; True when within budget."""
    total = 0
    for name, (raw, gz) in sizes().items():
        total += gz
        out.write(f"{name:<10} {raw:>7,} bytes  {gz:>6,} bytes gzip\n")
    verdict = "OK" if total <= BUDGET else "OVER BUDGET"
    out.write(
        f"{'total':<10} {'':>7}        {total:>6,} bytes gzip  (budget {BUDGET:,}: {verdict})\n"
    )
    return total <= BUDGET


if __name__ == "__main__":
    sys.exit(0 if report() else 1)
