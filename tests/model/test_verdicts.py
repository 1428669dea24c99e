"""Per-patch verdicts: each reference patch's own words, its behaviour delta on the model,
and which of the functions it touches the replays run."""

from __future__ import annotations

import dataclasses

import pytest

from patchscope.graph.build import build_graph
from patchscope.model.verdicts import ARCH_FILES, runs, says, touched_functions
from patchscope.pipeline import analyse
from tests.conftest import REFERENCE_MANIFEST


@pytest.fixture(scope="module")
def analysis():  # type: ignore[no-untyped-def]
    return analyse(str(REFERENCE_MANIFEST), tree=None, offline=True)


@pytest.fixture(scope="module")
def graph(analysis):  # type: ignore[no-untyped-def]
    v = analysis.verified
    return build_graph(v.series, analysis.facts, v.dependencies, None)


def _patch(analysis, number: int):  # type: ignore[no-untyped-def]
    return analysis.verified.series.patches[number - 1]


def test_each_patch_says_what_its_mail_says(analysis) -> None:  # type: ignore[no-untyped-def]
    said = {p.number: dict(says(p)) for p in analysis.verified.series.patches}
    assert set(said[1]) == {"cleanup"}  # "cleanup memory offline path"
    # 2/4: "This patch shouldn't introduce any functional change."
    assert said[2] == {
        "no functional change": "This patch shouldn't introduce any functional change."
    }
    assert said[3] == {}
    assert set(said[4]) == {"rename"}  # "rename kmalloc_section_memmap, __kfree_section_memmap"


def test_a_patch_that_says_it_changes_behaviour_claims_nothing(analysis) -> None:  # type: ignore[no-untyped-def]
    two = _patch(analysis, 2)
    text = two.message.replace("shouldn't introduce any", "should introduce a")
    assert "no functional change" not in dict(says(dataclasses.replace(two, message=text)))


def test_touched_functions_come_from_the_graph(analysis, graph) -> None:  # type: ignore[no-untyped-def]
    # 4/4's diff renames the two helpers and edits their callers in mm/sparse.c only
    four = touched_functions(graph, 4)
    assert {f for f, _ in four} == {"mm/sparse.c"}
    assert {"alloc_section_memmap", "free_section_memmap"} <= {n for _, n in four}
    # 2/4 changes arch_add_memory in every arch the diffstat names that defines it
    arches = {f for f, n in touched_functions(graph, 2) if n == "arch_add_memory"}
    in_diff = {path for path in _patch(analysis, 2).computed.per_file if path.startswith("arch/")}
    assert arches == in_diff


def test_an_arch_function_runs_only_in_its_arch_replay() -> None:
    ran = {
        "x86_64": {"arch_add_memory", "__add_pages"},
        "ppc64": set(),
        "s390": set(),
        "arm64": set(),
    }
    assert runs("arch/x86/mm/init_64.c", "arch_add_memory", ran)
    assert not runs("arch/x86/mm/init_32.c", "arch_add_memory", ran)  # 32-bit x86
    assert not runs("arch/powerpc/mm/mem.c", "arch_add_memory", ran)
    assert not runs("arch/sh/mm/init.c", "arch_add_memory", ran)  # no sh model: never run
    assert runs("mm/memory_hotplug.c", "__add_pages", ran)
    assert not runs("mm/memory_hotplug.c", "online_pages", ran)
    assert set(ARCH_FILES) == set(ran)
