"""Exploration: seeded Hypothesis searches over add/online/offline/remove sequences, each
broken invariant reported once with a shrunk sequence; a bug put into a stage on purpose is
found with the shortest sequence that reaches it, and is not found without it."""

from __future__ import annotations

from typing import Any

import pytest

from patchscope.model.explore import Budget, Op, explore, explore_stage, run
from patchscope.model.memory_hotplug.flows import FlowParams, make_config
from patchscope.model.memory_hotplug.stages import Stage, model_name, series_model
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST

SMALL = Budget(examples=30, searches=4)
TINY = Budget(examples=20, searches=3)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    series = load_series(str(REFERENCE_MANIFEST), offline=True)
    return series_model(series, model_name(str(REFERENCE_MANIFEST)))


@pytest.fixture(scope="module")
def x86() -> Any:
    return make_config(FlowParams(arch="x86_64"))


def _overfull_online(k: Any, pfn: int, nr_pages: int, online_type: str) -> None:
    """online_pages() that leaves the zone managing one page more than it has."""
    k.call_base("online_pages", pfn, nr_pages, online_type)
    zone = k.zone_of(pfn)
    zone.managed_pages = zone.present_pages + 1


def test_a_planted_accounting_bug_is_found_with_the_shortest_sequence(x86: Any) -> None:
    buggy = Stage(1, "planted", overrides={"online_pages": _overfull_online})
    found = {f.rule: f for f in explore_stage(x86, buggy, SMALL)}
    assert "explore-accounting" in found
    f = found["explore-accounting"]
    # the least that reaches online_pages(): one block added, then onlined
    assert f.evidence == ("1. add blocks 0..0", "2. online block 0 (kernel)")
    assert f.patch == 1 and f.severity == "error"
    assert f.message.startswith("stage 1 (x86_64): after step 2: ")


def test_without_the_planted_bug_accounting_holds(x86: Any) -> None:
    clean = Stage(1, "clean")
    assert "explore-accounting" not in {f.rule for f in explore_stage(x86, clean, SMALL)}
    # and the sequence that broke it above runs clean on the base kernel
    assert run(x86, clean, [Op("add", 0), Op("online", 0, movable=False)]) is None


def test_reference_stages_deterministic_and_shrunk(stages: list[Stage]) -> None:
    first = explore([stages[-1]], budget=TINY)
    again = explore([stages[-1]], budget=TINY)
    assert [(f.rule, f.message, f.evidence) for f in first] == [
        (f.rule, f.message, f.evidence) for f in again
    ]
    rules = [(f.patch, f.rule) for f in first]
    assert len(rules) == len(set(rules))  # each invariant once per stage
    for f in first:
        assert f.rule.startswith("explore-")
        assert f.patch == len(stages) - 1
        assert f.evidence and all(
            line.startswith(f"{i + 1}. ") for i, line in enumerate(f.evidence)
        )


def test_base_kernel_remove_of_never_onlined_memory_reads_poisoned_pages(
    stages: list[Stage], x86: Any
) -> None:
    """v5.0's __remove_pages() asks page_zone() of the first struct page, which was never
    initialised if the block was never onlined: with DEBUG_VM_PGFLAGS a poisoned read."""
    broken = run(x86, stages[0], [Op("add", 0), Op("remove", 0)])
    assert broken is not None and "poisoned-read" in broken.names
    assert (
        run(x86, stages[0], [Op("add", 0), Op("online", 0), Op("offline", 0), Op("remove", 0)])
        is None
    )
