"""A real sender at a second address: Linux 6.1's .mailmap makes the two one person.

remove-pfn-valid-within.mbox is sent from rppt@kernel.org and signed off from
rppt@linux.ibm.com; the tarball's .mailmap maps the second to the first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.corpus.conftest import CORPUS, run

MBOX = str(CORPUS / "remove-pfn-valid-within.mbox")


def _signoffs(*argv: str) -> list[tuple[str, str]]:
    found = run("check", MBOX, *argv, "--json", "--offline").json()["findings"]
    return sorted({(f["rule"], f["severity"]) for f in found if f["rule"].startswith("signoff")})


def test_the_kernels_mailmap_makes_one_person(linux61: Path, tmp_path: Path) -> None:
    assert "<rppt@kernel.org> <rppt@linux.ibm.com>" in (linux61 / ".mailmap").read_text()
    assert _signoffs("--tree", str(linux61)) == []
    assert _signoffs() == [("signoff-identity", "info")]
    other = tmp_path / "tree"
    shutil.copytree(linux61, other)
    (other / ".mailmap").write_text("Mike Rapoport <rppt@kernel.org> <mike@compulab.co.il>\n")
    assert _signoffs("--tree", str(other)) == [("signoff-order", "warning")]
