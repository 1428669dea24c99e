"""Rewrite docs/report.png, the README's picture of the reference series' report.

Run by hand from the repository's top: `python -m tests.browser.screenshot`. The report
is written by the CLI into a temporary folder and its first screen (1400 x 1000, every
<details> closed, as a reviewer opens it) photographed in the same off-network chromium
the browser tests use.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import FloatRect

from patchscope.cli import main as patchscope
from tests.browser.harness import chromium_executable, launch, open_file
from tests.browser.test_first_screen import SCREEN
from tests.conftest import REFERENCE_MANIFEST, ROOT

PICTURE = ROOT / "docs" / "report.png"


def main() -> int:
    executable = chromium_executable()
    if executable is None:
        print("screenshot: no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="patchscope-shot-") as scratch:
        report = Path(scratch) / "report"
        status = patchscope(["report", str(REFERENCE_MANIFEST), "-o", str(report), "--offline"])
        if status != 0:
            return status
        with launch(executable, Path(scratch) / "profile") as context:
            page, log = open_file(context, report / "index.html")
            if log.problems():
                print("\n".join(f"screenshot: {p}" for p in log.problems()), file=sys.stderr)
                return 1
            PICTURE.parent.mkdir(exist_ok=True)
            page.set_viewport_size(SCREEN)
            # the first screen (header, the table of patches): a README picture, not the page
            height = min(page.evaluate("document.documentElement.scrollHeight"), SCREEN["height"])
            clip: FloatRect = {"x": 0, "y": 0, "width": SCREEN["width"], "height": height}
            page.screenshot(path=PICTURE, full_page=True, clip=clip)
    print(f"screenshot: wrote {PICTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
