"""The reference series' graph, against what its patches say (read off thread.mbox by hand).

2/4 passes `struct mhp_restrictions *` from add_memory_resource (mm) to every architecture's
arch_add_memory, which call mm's __add_pages (x86_64 through its own add_pages); 3/4 adds the
fields `init` and `constructor`, stores init_altmap_memmap (mm/memory_hotplug.c) and
mark_vmemmap_pages (mm/sparse.c) in them in add_memory_resource, and __add_pages calls both.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from patchscope.code.facts import series_facts
from patchscope.graph.build import build_graph
from patchscope.graph.query import crossing_edges, impact
from patchscope.pipeline import load_series
from patchscope.verify import verify
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX

HOTPLUG = "mm/memory_hotplug.c"
ADD_PAGES = f"function:{HOTPLUG}:__add_pages"
# every file 2/4 changes arch_add_memory in, as its diff headers name them
ARCH_FILES = (
    "arch/arm64/mm/mmu.c",
    "arch/ia64/mm/init.c",
    "arch/powerpc/mm/mem.c",
    "arch/s390/mm/init.c",
    "arch/sh/mm/init.c",
    "arch/x86/mm/init_32.c",
    "arch/x86/mm/init_64.c",
)
X86_64 = "arch/x86/mm/init_64.c"


def graph_of(source: Path) -> nx.MultiDiGraph:
    verified = verify(load_series(str(source)))
    return build_graph(verified.series, series_facts(verified.series), verified.dependencies)


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    return graph_of(REFERENCE_MANIFEST)


def calls(g: nx.MultiDiGraph) -> dict[tuple[str, str], set[str]]:
    """(caller, callee) -> the `via` of every calls edge between them."""
    out: dict[tuple[str, str], set[str]] = {}
    for u, v, attrs in g.edges(data=True):
        if attrs["kind"] == "calls":
            out.setdefault((u, v), set()).add(attrs["via"])
    return out


def test_every_arch_add_memory_reaches_mm(graph: nx.MultiDiGraph) -> None:
    found = calls(graph)
    crossing = {(e.source, e.target) for e in crossing_edges(graph)}
    for file in ARCH_FILES:
        caller = f"function:{file}:arch_add_memory"
        assert graph.nodes[caller]["area"] == "arch/" + file.split("/")[1]
        if file == X86_64:  # x86_64 goes through its own add_pages (ARCH_HAS_ADD_PAGES)
            own = f"function:{X86_64}:add_pages"
            assert found[(caller, own)] == {"direct"}
            caller = own
        assert found[(caller, ADD_PAGES)] == {"direct"}
        assert (caller, ADD_PAGES) in crossing
        # and mm's add_memory_resource calls each of them
        assert (f"function:{HOTPLUG}:add_memory_resource", f"function:{file}:arch_add_memory") in (
            crossing
        )


def test_arch_add_memory_grouped_under_its_prototype(graph: nx.MultiDiGraph) -> None:
    group = "prototype:arch_add_memory"
    declared = {v for _, v, k in graph.out_edges(group, data="kind") if k == "declares"}
    assert declared == {f"function:{file}:arch_add_memory" for file in ARCH_FILES}
    assert graph.has_edge("file:include/linux/memory_hotplug.h", group)


def test_add_pages_calls_through_the_fields_3_4_adds(graph: nx.MultiDiGraph) -> None:
    through = {
        (v, attrs["via"], attrs["before"], attrs["after"])
        for _, v, attrs in graph.out_edges(ADD_PAGES, data=True)
        if attrs["kind"] == "calls" and attrs["via"] != "direct"
    }
    assert through == {
        (f"function:{HOTPLUG}:init_altmap_memmap", "init", "", "3"),
        ("function:mm/sparse.c:mark_vmemmap_pages", "constructor", "", "3"),
    }


def test_renames_of_4_4(graph: nx.MultiDiGraph) -> None:
    renamed = {(u, v) for u, v, k in graph.edges(data="kind") if k == "renamed_to"}
    assert renamed == {
        (
            "function:mm/sparse.c:kmalloc_section_memmap",
            "function:mm/sparse.c:alloc_section_memmap",
        ),
        ("function:mm/sparse.c:__kfree_section_memmap", "function:mm/sparse.c:free_section_memmap"),
    }


def test_impact_of_2_4_crosses_both_ways(graph: nx.MultiDiGraph) -> None:
    result = impact(graph, 2)
    assert ADD_PAGES in result.touched
    directions = {(graph.nodes[e.source]["area"] == "mm") for e in result.crossing}
    assert directions == {True, False}


@pytest.fixture(scope="module")
def perturbed(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """3/4 stores init_altmap_memmap in both fields; __add_pages moves to arch/x86."""
    text = REFERENCE_MBOX.read_text()
    assert "restrictions.constructor = mark_vmemmap_pages;" in text
    text = text.replace(
        "restrictions.constructor = mark_vmemmap_pages;",
        "restrictions.constructor = init_altmap_memmap;",
    )
    text = text.replace(f"/{HOTPLUG}", "/arch/x86/mm/hotplug.c")
    copy = tmp_path_factory.mktemp("perturbed") / "thread.mbox"
    copy.write_text(text)
    return graph_of(copy)


def test_perturbed_constructor_target(perturbed: nx.MultiDiGraph) -> None:
    moved = "function:arch/x86/mm/hotplug.c:__add_pages"
    through = {
        (v, attrs["via"])
        for _, v, attrs in perturbed.out_edges(moved, data=True)
        if attrs["kind"] == "calls" and attrs["via"] != "direct"
    }
    target = "function:arch/x86/mm/hotplug.c:init_altmap_memmap"
    assert through == {(target, "init"), (target, "constructor")}


def test_perturbed_arch_to_arch_is_not_crossing(perturbed: nx.MultiDiGraph) -> None:
    moved = "function:arch/x86/mm/hotplug.c:__add_pages"
    arm64 = "function:arch/arm64/mm/mmu.c:arch_add_memory"
    assert calls(perturbed)[(arm64, moved)] == {"direct"}
    assert not [e for e in crossing_edges(perturbed) if e.source == arm64]
    assert ADD_PAGES not in perturbed
