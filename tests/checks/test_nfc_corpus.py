"""claim-mismatch on the real series of ../shared/corpus that claim cleanups (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchscope.checks import claim_judge, claim_mismatch
from patchscope.checks.hunkcode import images, is_c
from patchscope.checks.knowledge import knowledge
from patchscope.checks.nfc import compare_patch
from patchscope.checks.verdict import Budget
from patchscope.code.facts import series_facts
from patchscope.findings import Finding
from patchscope.pipeline import load_series

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _found(name: str) -> list[Finding]:
    path = CORPUS / f"{name}.mbox"
    if not path.exists():
        pytest.skip(f"the corpus is not here: {path}")
    series = load_series(str(path))
    return claim_mismatch.check(series, series_facts(series), None)


def test_section_boundary_rewrite_is_proved() -> None:
    """-(pfn | PAGE_SECTION_MASK) and SECTION_ALIGN_UP(pfn + 1) - pfn: equal for every pfn."""
    found = _found("memory-hotplug-add-remove-pages-cleanups-v2")
    assert {(f.rule, f.patch) for f in found} == {("nfc-proved", 1), ("nfc-not-proved", 2)}
    proved = next(f for f in found if f.rule == "nfc-proved")
    assert "definition: SECTION_ALIGN_UP from include/linux/mmzone.h" in proved.evidence
    # patch 2 rewrites the loop itself: its variables change with it
    (loop,) = [f for f in found if f.rule == "nfc-not-proved"]
    assert any("assigned by lines the patch changes" in e for e in loop.evidence)


def test_macros_made_static_inline_are_proved_where_they_give_one_value() -> None:
    found = _found("hugetlb-macros-static-inline")
    assert {f.rule for f in found} == {"nfc-proved", "nfc-not-proved"}
    proved = next(f for f in found if f.rule == "nfc-proved")
    assert any(
        e.startswith("include/linux/hugetlb.h:279: putback_active_hugepage")
        for e in proved.evidence
    )
    unproved = next(f for f in found if f.rule == "nfc-not-proved")
    # the macro gave an int 0, the function a pointer: the type fix the message names
    assert any(
        "huge_pte_offset" in e and "one is int, the other pointer" in e for e in unproved.evidence
    )


@pytest.mark.parametrize(
    "name",
    ["hugetlb-macros-static-inline", "virtio-mem-devmem-exclusive-v5", "remove-pfn-valid-within"],
)
def test_behaviour_preserving_cleanups_raise_no_warning(name: str) -> None:
    assert [f for f in _found(name) if f.severity == "warning"] == []


def test_a_constant_local_dropped_is_substituted() -> None:
    """`i = 0; ... pfn + i` became `pfn`: equal once the value reaching the use is known."""
    found = _found("remove-pfn-valid-within")
    proved = next(f for f in found if f.rule == "nfc-proved" and f.patch == 2)
    assert any("(pfn + (int)0)  vs  pfn: proved with i = (int)0" in e for e in proved.evidence)


def test_every_corpus_patch_compares_without_an_error() -> None:
    """Every patch compared as if it claimed no functional change: a verdict for each pair,
    never an exception, on the list's own mail."""
    mboxes = sorted(CORPUS.glob("*.mbox"))
    if not mboxes:
        pytest.skip(f"the corpus is not here: {CORPUS}")
    outcomes = set()
    for path in mboxes:
        series = load_series(str(path))
        facts = series_facts(series)
        known = knowledge(facts, None)
        by_number = {pf.number: pf for pf in facts.patches}
        for patch in series.patches:
            if patch.number in by_number:
                hunks = [(fd, h) for fd in patch.files if is_c(fd) for h in fd.hunks]
                shown = images(hunks)
                mapping, _ = claim_judge._renames(shown)
                found = compare_patch(hunks, shown, known[patch.number], mapping, Budget())
                outcomes |= {c.verdict.outcome for c in found}
    assert outcomes <= {"proved", "refuted", "not proved"} and "proved" in outcomes
