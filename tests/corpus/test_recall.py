"""The recall set: every rule still fires on a series written with its defect
(tests/fixtures/recall/README), and on nothing more than the defect explains."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from patchscope.checks.run import CHECKS
from tests.conftest import git
from tests.corpus.conftest import run

RECALL = Path(__file__).parents[1] / "fixtures" / "recall"
MAIL = Path(__file__).parents[1] / "fixtures" / "mail"

# fixture -> every rule `check` must raise on it (a defect that stops the replay skips it)
EXPECTED: dict[str, set[str]] = {
    "incomplete-series": {"incomplete-series", "replay-skipped"},
    "mixed-versions": {"mixed-versions"},
    "duplicate-patch": {"duplicate-patch"},
    "malformed-hunk": {"malformed-hunk", "replay-skipped"},
    "no-diff": {"no-diff", "replay-skipped"},
    "diffstat-mismatch": {"diffstat-mismatch"},
    "cover-diffstat-mismatch": {"cover-diffstat-mismatch"},
    "signoff-missing": {"signoff-missing"},
    "signoff-author": {"signoff-author"},
    "signoff-order": {"signoff-order"},
    "replay-failed": {"replay-failed"},
    **{rule: {rule} for rule in CHECKS},
}
# rules no mail of its own can show, and where they are pinned instead
ELSEWHERE = {
    "signoff-identity": "tests/ingest/test_signoff.py (fixtures/mail/signoff-other-address.patch)",
    "cover-diffstat-alignment": "tests/test_verify.py (git's own alignment, not a defect)",
}


def _rules(*argv: str) -> set[str]:
    done = run("check", *argv, "--json", "--offline")
    assert done.code in (0, 1), done.stderr
    return {f["rule"] for f in done.json()["findings"]}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_the_rule_fires_on_its_defect(fixture: str) -> None:
    assert _rules(str(RECALL / f"{fixture}.mbox")) == EXPECTED[fixture]


def test_the_clean_series_they_are_cut_from_has_nothing() -> None:
    assert _rules(str(RECALL / "clean.mbox")) == set()


def test_signoff_identity_fires_on_its_fixture() -> None:
    assert _rules(str(MAIL / "signoff-other-address.patch")) == {"signoff-identity"}


def test_the_tree_rules_fire(tmp_path: Path) -> None:
    """hunk-offset and maintainers-not-cc on the tree as it is; hunk-not-applied on a
    copy whose line the patches' context no longer matches; commit-ref with git."""
    clean = str(RECALL / "clean.mbox")
    tree = tmp_path / "tree"
    shutil.copytree(RECALL / "tree", tree)
    assert _rules(clean, "--tree", str(tree)) == {"hunk-offset", "maintainers-not-cc"}
    source = tree / "mm" / "memory_hotplug.c"
    source.write_text(source.read_text().replace("walk(pfn, nr)", "walk_range(pfn, nr)"))
    assert "hunk-not-applied" in _rules(clean, "--tree", str(tree))
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "base")
    quoting = tmp_path / "quoting.mbox"
    quoting.write_text(
        (RECALL / "clean.mbox")
        .read_text()
        .replace(
            "Two small changes", 'Follows 0123456789ab ("mm: no such commit"). Two small changes'
        )
    )
    assert "commit-ref" in _rules(str(quoting), "--tree", f"git:{tree}@HEAD")


def test_every_rule_in_the_readme_is_in_the_recall_set() -> None:
    """The README's rule tables name every rule a user can meet; each is pinned somewhere."""
    tree_rules = {"hunk-offset", "hunk-not-applied", "maintainers-not-cc", "commit-ref"}
    assert {p.stem for p in RECALL.glob("*.mbox")} - {"clean"} == set(EXPECTED)
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = (line.split("|")[1] for line in readme.splitlines() if line.startswith("| `"))
    documented = {n for row in rows for n in re.findall(r"`([a-z]+(?:-[a-z]+)+)`", row)}
    pinned = set().union(*EXPECTED.values()) | set(ELSEWHERE) | tree_rules
    assert documented == pinned
