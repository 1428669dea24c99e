"""Impact queries on the hand-made graph, checked against the facts written in handmade.py."""

from __future__ import annotations

import networkx as nx
import pytest

from patchscope.graph.build import build_graph
from patchscope.graph.query import EdgeRef, callees, callers, crossing_edges, impact, touched
from tests.graph.handmade import ARM, DEPENDENCIES, DRV, FACTS, HDR, MM, SERIES, X86


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    return build_graph(SERIES, FACTS, DEPENDENCIES)


def test_touched(graph: nx.MultiDiGraph) -> None:
    assert touched(graph, 1) == (f"function:{X86}:arch_add",)
    assert set(touched(graph, 2)) == {
        f"function:{MM}:add_core",
        "prototype:arch_add",
        f"macro:{HDR}:HP_FLAG",
        f"global:{MM}:nr_added",
    }


def test_one_hop(graph: nx.MultiDiGraph) -> None:
    x86 = f"function:{X86}:arch_add"
    assert callers(graph, x86) == (f"function:{MM}:add_memory",)
    assert set(callees(graph, x86)) == {f"function:{MM}:add_core", f"function:{MM}:old_core"}


def test_two_hops_reach_further(graph: nx.MultiDiGraph) -> None:
    core = f"function:{MM}:add_core"
    one = set(callers(graph, core))
    two = set(callers(graph, core, hops=2))
    assert one == {f"function:{X86}:arch_add", f"function:{ARM}:arch_add"}
    assert two == one | {f"function:{MM}:add_memory"}


def test_impact_of_patch_1(graph: nx.MultiDiGraph) -> None:
    x86 = f"function:{X86}:arch_add"
    result = impact(graph, 1)
    assert result.touched == (x86,)
    assert result.callers == (f"function:{MM}:add_memory",)
    assert set(result.callees) == {f"function:{MM}:add_core", f"function:{MM}:old_core"}
    # every walked edge here joins arch/x86 and mm
    assert set(result.crossing) == {
        EdgeRef(f"function:{MM}:add_memory", x86, "calls", "direct"),
        EdgeRef(x86, f"function:{MM}:add_core", "calls", "direct"),
        EdgeRef(x86, f"function:{MM}:old_core", "calls", "direct"),
    }


def test_driver_to_mm_edge_is_not_arch_mm(graph: nx.MultiDiGraph) -> None:
    crossing = crossing_edges(graph)
    assert all(DRV not in e.source for e in crossing)
    assert EdgeRef(f"function:{ARM}:arch_add", f"function:{MM}:add_core", "calls", "direct") in (
        crossing
    )
    assert not [e for e in crossing if e.kind not in ("calls", "uses")]
