"""build_graph on hand-made facts (tests/graph/handmade.py): every node and edge kind."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import pytest

from patchscope.code.model import Assignment, Image
from patchscope.graph.areas import area_of
from patchscope.graph.build import build_graph
from tests.graph.handmade import ARM, DEPENDENCIES, DRV, FACTS, HDR, MM, SERIES, X86


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    return build_graph(SERIES, FACTS, DEPENDENCIES)


def edges(g: nx.MultiDiGraph, kind: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in g.edges(data="kind") if k == kind}


@pytest.mark.parametrize(
    ("path", "area"),
    [
        ("arch/x86/mm/init_64.c", "arch/x86"),
        ("arch/powerpc/Kconfig", "arch/powerpc"),
        ("mm/sparse.c", "mm"),
        ("include/linux/mmzone.h", "include"),
        ("drivers/xen/balloon.c", "drivers"),
        ("kernel/memremap.c", "kernel"),
        ("fs/proc/meminfo.c", "other"),
        ("Makefile", "other"),
        ("mm", "other"),  # a file called mm, not a folder
        ("arch/Kconfig", "other"),
        ("", "unknown"),
    ],
)
def test_area_of(path: str, area: str) -> None:
    assert area_of(path) == area


def test_same_named_definitions_are_distinct_and_grouped(graph: nx.MultiDiGraph) -> None:
    x86, arm = f"function:{X86}:arch_add", f"function:{ARM}:arch_add"
    assert graph.nodes[x86]["area"] == "arch/x86"
    assert graph.nodes[arm]["area"] == "arch/arm64"
    assert graph.nodes["prototype:arch_add"]["kind"] == "prototype"
    assert edges(graph, "declares") >= {
        ("prototype:arch_add", x86),
        ("prototype:arch_add", arm),
        (f"file:{HDR}", "prototype:arch_add"),
    }


def test_unrelated_statics_are_not_grouped(graph: nx.MultiDiGraph) -> None:
    assert f"function:{DRV}:init_b" in graph
    assert f"function:{MM}:init_b" in graph
    assert "prototype:init_b" not in graph


def test_node_attributes(graph: nx.MultiDiGraph) -> None:
    x86 = graph.nodes[f"function:{X86}:arch_add"]
    assert x86 == {
        "kind": "function",
        "name": "arch_add",
        "file": X86,
        "area": "arch/x86",
        "guard": "CONFIG_MEMORY_HOTPLUG",
    }
    assert graph.nodes["patch:2"]["subject"] == "mm: rename old_core"
    assert graph.nodes["patch:2"]["number"] == 2
    for _, attrs in graph.nodes(data=True):
        assert {"kind", "name", "file", "area", "guard"} <= set(attrs)
        assert all(isinstance(v, str | int | bool) for v in attrs.values())
    for _, _, attrs in graph.edges(data=True):
        assert all(isinstance(v, str | int | bool) for v in attrs.values())


def test_defines_edges_from_files(graph: nx.MultiDiGraph) -> None:
    assert edges(graph, "defines") >= {
        (f"file:{MM}", f"function:{MM}:add_core"),
        (f"file:{MM}", f"global:{MM}:nr_added"),
        (f"file:{HDR}", f"macro:{HDR}:HP_FLAG"),
        (f"file:{HDR}", f"field:{HDR}:hp_r.init"),
        (f"file:{HDR}", f"struct:{HDR}:hp_r"),
    }


def test_cross_area_direct_calls_both_ways(graph: nx.MultiDiGraph) -> None:
    calls = {(u, v): a for u, v, a in graph.edges(data=True) if a["kind"] == "calls"}
    assert calls[(f"function:{X86}:arch_add", f"function:{MM}:add_core")]["via"] == "direct"
    assert (f"function:{ARM}:arch_add", f"function:{MM}:add_core") in calls
    # one call to a name defined in two architectures may reach either
    assert (f"function:{MM}:add_memory", f"function:{X86}:arch_add") in calls
    assert (f"function:{MM}:add_memory", f"function:{ARM}:arch_add") in calls


def test_pointer_call_reaches_every_assigned_function(graph: nx.MultiDiGraph) -> None:
    caller = f"function:{MM}:add_core"
    through = {v for u, v, a in graph.edges(data=True) if u == caller and a.get("via") == "init"}
    # init_b is static in the driver that stores it; mm's own static init_b is not meant
    assert through == {f"function:{MM}:init_a", f"function:{DRV}:init_b"}


def test_pointer_call_without_assignment_has_no_target() -> None:
    after = FACTS.patches[1].after
    bare = replace(FACTS.patches[1], after=Image(after.definitions, after.references, ()))
    g = build_graph(SERIES, replace(FACTS, patches=(FACTS.patches[0], bare)), DEPENDENCIES)
    assert not [1 for _, _, a in g.edges(data=True) if a.get("via") == "init"]


def test_assignment_to_another_field_is_not_a_target() -> None:
    after = FACTS.patches[1].after
    other = Image(after.definitions, after.references, (Assignment("exit", "init_a", MM, 5),))
    patches = (FACTS.patches[0], replace(FACTS.patches[1], after=other))
    g = build_graph(SERIES, replace(FACTS, patches=patches), DEPENDENCIES)
    assert not [1 for _, _, a in g.edges(data=True) if a.get("via") == "init"]


def test_undefined_callee_and_macro_are_unknown(graph: nx.MultiDiGraph) -> None:
    assert graph.nodes["function::printk"] == {
        "kind": "function",
        "name": "printk",
        "file": "",
        "area": "unknown",
        "guard": "",
    }
    assert (f"function:{MM}:add_memory", "function::printk") in edges(graph, "calls")
    assert graph.nodes["macro::WARN_ON"]["kind"] == "macro"
    assert (f"function:{MM}:add_core", "macro::WARN_ON") in edges(graph, "uses")
    assert not [n for n in graph if n.endswith("not_defined_anywhere")]


def test_uses_macros_globals_fields(graph: nx.MultiDiGraph) -> None:
    uses = {(u, v): a["ref"] for u, v, a in graph.edges(data=True) if a["kind"] == "uses"}
    assert uses[(f"function:{MM}:add_core", f"macro:{HDR}:HP_FLAG")] == "use"
    assert uses[(f"function:{DRV}:probe", f"global:{MM}:nr_added")] == "write"
    assert uses[(f"function:{MM}:add_memory", f"field:{HDR}:hp_r.flags")] == "use"
    assert uses[(f"function:{MM}:add_core", f"field:{HDR}:hp_r.init")] == "pointer_call"
    # probe's `flags` is a local of the same name: no member access, no field edge
    assert (f"function:{DRV}:probe", f"field:{HDR}:hp_r.flags") not in uses


def test_before_and_after_images_mark_edges(graph: nx.MultiDiGraph) -> None:
    data = graph.get_edge_data(f"function:{X86}:arch_add", f"function:{MM}:old_core")
    (attrs,) = data.values()
    assert (attrs["before"], attrs["after"]) == ("2", "")
    data = graph.get_edge_data(f"function:{X86}:arch_add", f"function:{MM}:add_core")
    (attrs,) = data.values()
    assert (attrs["before"], attrs["after"]) == ("", "2")


def test_modifies_renamed_and_depends_on(graph: nx.MultiDiGraph) -> None:
    modifies = {(u, v): a for u, v, a in graph.edges(data=True) if a["kind"] == "modifies"}
    assert modifies[("patch:1", f"function:{X86}:arch_add")]["change"] == "added"
    assert modifies[("patch:2", "prototype:arch_add")]["change"] == "prototype"
    assert modifies[("patch:2", f"function:{MM}:add_core")]["change"] == "renamed"
    assert edges(graph, "renamed_to") == {(f"function:{MM}:old_core", f"function:{MM}:add_core")}
    (dep,) = graph.get_edge_data("patch:2", "patch:1").values()
    assert dep["kind"] == "depends_on"
    assert dep["reasons"].split("\n") == [
        f"context: {X86}: lines 40-41 from 1/2",
        f"blob: {X86}: b",
    ]


def test_order_does_not_depend_on_input_order() -> None:
    after = FACTS.patches[1].after
    shuffled = Image(
        tuple(reversed(after.definitions)),
        tuple(reversed(after.references)),
        tuple(reversed(after.assignments)),
    )
    patches = (FACTS.patches[0], replace(FACTS.patches[1], after=shuffled))
    g1 = build_graph(SERIES, FACTS, DEPENDENCIES)
    g2 = build_graph(SERIES, replace(FACTS, patches=patches), DEPENDENCIES)
    assert list(g1.nodes(data=True)) == list(g2.nodes(data=True))
    assert list(g1.edges(data=True)) == list(g2.edges(data=True))
