"""The recall set: every rule still fires on a series written with its defect
(tests/fixtures/recall/README), and on nothing more than the defect explains."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from patchscope.checks.run import CHECKS
from tests.conftest import git
from tests.corpus.conftest import run

ROOT = Path(__file__).parents[2]
RECALL = ROOT / "tests" / "fixtures" / "recall"
MAIL = ROOT / "tests" / "fixtures" / "mail"

# fixture -> every rule `check` must raise on it (a defect that stops the replay skips it)
EXPECTED: dict[str, set[str]] = {
    "incomplete-series": {"incomplete-series", "replay-skipped"},
    "mixed-versions": {"mixed-versions"},
    "reposted": {"reposted"},
    "other-series": {"other-series"},
    # the cover's diffstat was written before the extra patch, so it no longer adds up
    "unnumbered-patch": {"unnumbered-patch", "cover-diffstat-mismatch"},
    "unreadable-header": {"unreadable-header"},
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
# rules whose recall no mail of this set shows -> the test that pins it instead (each must
# exist and name the rule): no defect (a proof, git's own alignment, a second address), or
# a finding only the model gives for a series a manifest names
_FINDINGS = "tests/model/test_model_findings.py"
_NFC = "tests/checks/test_nfc.py"
_RULES = "tests/model/test_model_rules.py"
ELSEWHERE: dict[str, tuple[str, str]] = {
    "signoff-identity": (
        "tests/ingest/test_signoff.py",
        "test_same_name_at_another_address_is_an_info_without_a_tree",
    ),
    "cover-diffstat-alignment": (
        "tests/test_verify.py",
        "test_alignment_differences_are_noted_not_errors",
    ),
    "nfc-proved": (_NFC, "test_inverted_rename_with_every_caller_negated_is_proved"),
    "nfc-not-proved": (_NFC, "test_reordered_and_with_a_call_is_not_proved"),
    "model-poisoned-read": (
        _FINDINGS,
        "test_the_poisoned_pagevmemmap_read_is_3_4s_once_for_every_block",
    ),
    "model-kernel-bug": (
        _FINDINGS,
        "test_s390_hot_add_hits_a_kernel_bug_at_3_4_decided_by_its_veto",
    ),
    "model-leftover-state": (
        _FINDINGS,
        "test_removing_part_of_an_add_leaves_state_behind_from_3_4",
    ),
    "model-lost-memory-blocks": (_FINDINGS, "test_s390_loses_every_memory_block_at_3_4"),
    "model-accounting": (_RULES, "test_the_invariant_is_reported_under_its_rule"),
    "model-memmap-backing": (_RULES, "test_the_invariant_is_reported_under_its_rule"),
    "model-claim-contradicted": (
        "tests/model/test_claim_verdicts.py",
        "test_the_reference_2_4_is_a_contradicted_claim_finding",
    ),
}


def _rules(*argv: str) -> set[str]:
    done = run("check", *argv, "--json", "--offline")
    assert done.code in (0, 1), done.stderr
    return {f["rule"] for f in done.json()["findings"]}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_the_rule_fires_on_its_defect(fixture: str) -> None:
    assert _rules(str(RECALL / f"{fixture}.mbox")) == EXPECTED[fixture]


def test_the_claim_mismatch_fixture_done_right_is_proved(tmp_path: Path) -> None:
    """The perturbed twin: `nr - 1 >= PAGES_PER_SECTION` is the fold that keeps behaviour."""
    text = (RECALL / "claim-mismatch.mbox").read_text()
    assert text.count("+\tif (nr - 1 > ") == 1
    fixed = tmp_path / "fixed.mbox"
    fixed.write_text(text.replace("+\tif (nr - 1 > ", "+\tif (nr - 1 >= "))
    assert _rules(str(fixed)) == {"nfc-proved"}


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
    readme = (ROOT / "README.md").read_text()
    rows = (line.split("|")[1] for line in readme.splitlines() if line.startswith("| `"))
    documented = {n for row in rows for n in re.findall(r"`([a-z]+(?:-[a-z]+)*)`", row)}
    pinned = set().union(*EXPECTED.values()) | set(ELSEWHERE) | tree_rules
    assert documented == pinned
    assert not set(ELSEWHERE) & set().union(*EXPECTED.values()), "pinned twice"


@pytest.mark.parametrize("rule", sorted(ELSEWHERE))
def test_a_rule_pinned_elsewhere_names_a_test_that_exists_and_asserts_it(rule: str) -> None:
    path, name = ELSEWHERE[rule]
    tree = ast.parse((ROOT / path).read_text())
    tests = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert name in tests, f"{path}::{name} is gone: pin {rule} again"
    strings = {n.value for n in ast.walk(tests[name]) if isinstance(n, ast.Constant)}
    assert rule in strings, f"{path}::{name} does not name {rule}"
