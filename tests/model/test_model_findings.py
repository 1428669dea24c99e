"""The model's findings on the reference series: each cause once, at the patch that brings it,
with evidence; each paired with a perturbed series (or stage) where the cause is gone.

Expected numbers come from the kernel facts (design.md) and the mails' own lines, read here
from the thread; never from the model's output."""

from __future__ import annotations

import dataclasses
import mailbox
import re
from pathlib import Path

import pytest
from unidiff import PatchSet

from patchscope.findings import Finding
from patchscope.model.findings import Budget, model_findings
from patchscope.model.memory_hotplug.stages import Stage, series_model
from patchscope.model.verdicts import Scenario, replay_stages
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MBOX

GIB, MIB = 1 << 30, 1 << 20
X86_BLOCK = 128 * MIB  # x86_64: 128 MiB memory blocks below 64 GiB of boot memory
S390_BLOCK = 1 << 28  # s390: SECTION_SIZE_BITS 28, one section per memory block
RANGE = 2 * GIB  # the scenarios hot-add 2 GiB
MODULE = "memmap_hotadd_rfc_v2"
VETO = "restrictions->flags &= ~MHP_MEMMAP_FROM_RANGE;"  # 3/4's s390 arch_add_memory()


@pytest.fixture(scope="module")
def found(reference_stages: list[Stage], reference_replays: dict) -> list[Finding]:  # type: ignore[type-arg]
    return model_findings(reference_stages, reference_replays, budget=None)


def _one(found: list[Finding], rule: str, *words: str) -> Finding:
    hits = [f for f in found if f.rule == rule and all(w in f.message for w in words)]
    assert len(hits) == 1, [f.message for f in found if f.rule == rule]
    return hits[0]


def _evidence(f: Finding, label: str) -> list[str]:
    return [e.removeprefix(f"{label}: ") for e in f.evidence if e.startswith(f"{label}: ")]


def _post_image_line(patch: int, path: str, text: str) -> int:
    """Where `text` is in `path` after patch N, read off the thread's diff with unidiff."""
    mails = [m for m in mailbox.mbox(str(REFERENCE_MBOX)) if f" {patch}/4]" in str(m["subject"])]
    body = mails[0].get_payload(decode=True).decode()
    diff = PatchSet(body[body.index("diff --git") :])
    lines = [
        line.target_line_no
        for f in diff
        if f.path == path
        for hunk in f
        for line in hunk
        if line.is_added and line.value.strip() == text
    ]
    assert len(lines) == 1
    return int(lines[0])


def _perturbed(tmp_path: Path, old: str, new: str) -> list[Stage]:
    """The reference thread with one added line changed (same line count: hunks still fit)."""
    text = REFERENCE_MBOX.read_text()
    assert text.count(old) == 1
    path = tmp_path / "perturbed.mbox"
    path.write_text(text.replace(old, new))
    return series_model(load_series(str(path), offline=True), MODULE)


def _rules(stages: list[Stage]) -> dict[str, list[Finding]]:
    by_rule: dict[str, list[Finding]] = {}
    for f in model_findings(stages, budget=None):
        by_rule.setdefault(f.rule, []).append(f)
    return by_rule


# --- the reference series ---------------------------------------------------------------


def test_the_poisoned_pagevmemmap_read_is_3_4s_once_for_every_block(found: list[Finding]) -> None:
    f = _one(found, "model-poisoned-read", "PageVmemmap()", "online x86_64)")
    assert (f.patch, f.severity, f.entity) == (3, "error", "memmap_init_zone")
    assert f"hit in {RANGE // X86_BLOCK} steps of online x86_64" in f.message  # 16 blocks
    assert "CONFIG_DEBUG_VM_PGFLAGS=y" in _evidence(f, "flow")[0]
    assert re.search(r": 1\. [^;]*hot-add", _evidence(f, "shortest")[0])  # fewest steps
    assert _evidence(f, "calls")[0].endswith("move_pfn_range_to_zone > memmap_init_zone")
    # PageVmemmap() as 3/4 defines it decided what was read
    line = _post_image_line(
        3,
        "include/linux/page-flags.h",
        "return PageReserved(page) && (unsigned long)page->mapping == VMEMMAP_PAGE;",
    )
    assert (f.file, f.line) == ("include/linux/page-flags.h", line)
    assert "appears at stage 3: patch 3; still there after patch 4" in f.evidence


def test_s390_hot_add_hits_a_kernel_bug_at_3_4_decided_by_its_veto(found: list[Finding]) -> None:
    f = _one(found, "model-kernel-bug", "mark_vmemmap_pages()")
    assert (f.patch, f.severity, f.entity) == (3, "error", "mark_vmemmap_pages")
    assert "hot-add s390" in f.message
    assert "arch=s390" in _evidence(f, "flow")[0]
    veto = _post_image_line(3, "arch/s390/mm/init.c", VETO)
    assert f"arch/s390/mm/init.c:{veto} (patch 3) `{VETO}` = 0" in _evidence(f, "decided by")
    assert _evidence(f, "calls")[0].startswith("add_memory > ")


def test_s390_loses_every_memory_block_at_3_4(found: list[Finding]) -> None:
    f = _one(found, "model-lost-memory-blocks")
    blocks = RANGE // S390_BLOCK
    assert f"{blocks} of {blocks} memory blocks" in f.message
    assert (f.patch, f.severity) == (3, "error")


def test_removing_part_of_an_add_leaves_state_behind_from_3_4(found: list[Finding]) -> None:
    partial = [f for f in found if f.rule == "model-leftover-state" and f.patch == 3]
    assert partial
    assert all(f.severity == "error" for f in partial)
    labels = {_evidence(f, "flow")[0].split(":")[0] for f in partial}
    assert labels & {"lifecycle x86_64 blocks=(0,) size=268435456"}


def test_what_v5_0_already_does_is_info_against_no_patch(found: list[Finding]) -> None:
    # v5.0's s390 arch_remove_memory() is BUG(): the base tree's, not the series'
    f = _one(found, "model-kernel-bug", "arch_remove_memory()")
    assert (f.patch, f.severity) == (None, "info")
    assert f.message.startswith("in the base tree: ")
    assert all(f.severity == "info" for f in found if f.patch is None)


def test_one_finding_per_cause(found: list[Finding]) -> None:
    keys = [(f.rule, f.message) for f in found]
    assert len(keys) == len(set(keys))
    assert len({f.fingerprint for f in found}) == len(found)


# --- perturbed: the cause removed, the finding gone ---------------------------------------


def test_without_the_flag_s390_has_no_kernel_bug_and_nothing_is_left(tmp_path: Path) -> None:
    """hotplug_vmemmap_enabled false: no caller asks for MHP_MEMMAP_FROM_RANGE, so s390's
    veto leaves no init/constructor pair behind, and no deferred memmap outlives a remove."""
    rules = _rules(
        _perturbed(
            tmp_path,
            "+bool hotplug_vmemmap_enabled = true;",
            "+bool hotplug_vmemmap_enabled = false;",
        )
    )
    assert not [f for f in rules.get("model-kernel-bug", []) if f.patch is not None]
    assert not [f for f in rules.get("model-leftover-state", []) if f.patch is not None]
    assert [f for f in rules["model-poisoned-read"] if f.patch == 3]  # its own cause stays


def test_a_parenthesised_veto_keeps_s390s_memory_blocks(tmp_path: Path) -> None:
    """The unparenthesised `~1<<1` clears MHP_MEMBLOCK_API too; `~(1<<1)` only the flag."""
    rules = _rules(
        _perturbed(
            tmp_path,
            "+#define MHP_MEMMAP_FROM_RANGE          1<<1",
            "+#define MHP_MEMMAP_FROM_RANGE          (1<<1)",
        )
    )
    assert "model-lost-memory-blocks" not in rules
    assert [f for f in rules["model-kernel-bug"] if f.patch == 3]  # the NULL altmap stays


def test_a_stage_that_initialises_before_it_tests_reads_no_poison(
    reference_stages: list[Stage],
) -> None:
    """3/4's memmap_init_zone() tests PageVmemmap() on struct pages not yet initialised;
    stages that keep the base tree's memmap_init_zone() never do."""
    kept = [
        dataclasses.replace(
            s, overrides={k: v for k, v in s.overrides.items() if k != "memmap_init_zone"}
        )
        for s in reference_stages
    ]
    found = model_findings(kept, budget=None)
    assert not [f for f in found if f.entity == "memmap_init_zone"]
    assert [f for f in found if f.rule == "model-kernel-bug" and f.patch == 3]  # others stay


def test_three_blocks_say_three(reference_stages: list[Stage]) -> None:
    blocks = 3
    online = Scenario("online", "x86_64", (("size", blocks * X86_BLOCK),))
    found = model_findings(reference_stages, replay_stages(reference_stages, [online]), None)
    f = _one(found, "model-poisoned-read", "PageVmemmap()")
    assert re.search(rf"hit in {blocks} steps of online x86_64 size=", f.message)


# --- determinism --------------------------------------------------------------------------


def test_the_same_series_gives_the_same_findings_and_writes_nothing(
    reference_stages: list[Stage], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    small = Budget(examples=5, searches=1, arches=("s390",))
    first = model_findings(reference_stages, budget=small)
    again = model_findings(reference_stages, budget=small)
    assert [f.to_json() for f in first] == [f.to_json() for f in again]
    assert list((tmp_path / "here").iterdir()) == []  # no example database, nothing here
    assert {p.name for p in tmp_path.iterdir()} <= {"here", "cache"}
