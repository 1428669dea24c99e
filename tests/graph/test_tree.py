"""With a base tree: callers the patches never show, and every definition of a prototype.

The tree and series are tests/code/treeseries.py's: drivers/base/memory.c's probe_store
calls add_memory_resource; 1/2 changes arch_add_memory in the header and x86 but not arm64.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from patchscope.code.tree import open_tree, tree_facts
from patchscope.graph.build import build_graph
from patchscope.pipeline import load_series
from patchscope.verify import verify
from tests.code.treeseries import FACTS, make_tree_series

PROBE = "function:drivers/base/memory.c:probe_store"
RESOURCE = "function:mm/memory_hotplug.c:add_memory_resource"


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.MultiDiGraph, nx.MultiDiGraph]:
    """The graph with the tree, and without it."""
    made = make_tree_series(Path(tmp_path_factory.mktemp("tree")))
    verified = verify(load_series(str(made.mbox)))
    tree = tree_facts(verified.series, FACTS, open_tree(str(made.repo)))
    with_tree = build_graph(verified.series, FACTS, verified.dependencies, tree)
    return with_tree, build_graph(verified.series, FACTS, verified.dependencies)


def test_caller_outside_the_series(graphs: tuple[nx.MultiDiGraph, nx.MultiDiGraph]) -> None:
    with_tree, without = graphs
    (edge,) = with_tree.get_edge_data(PROBE, RESOURCE).values()
    assert (edge["kind"], edge["via"], edge["tree"]) == ("calls", "direct", True)
    assert with_tree.nodes[PROBE]["area"] == "drivers"
    assert with_tree.has_edge("file:mm/memory_hotplug.c", RESOURCE)
    assert PROBE not in without


def test_forgotten_definition_joins_the_prototype(
    graphs: tuple[nx.MultiDiGraph, nx.MultiDiGraph],
) -> None:
    with_tree, without = graphs
    group = "prototype:arch_add_memory"
    carries = {
        v: attrs.get("carries")
        for _, v, attrs in with_tree.out_edges(group, data=True)
        if attrs["kind"] == "declares"
    }
    assert carries == {
        "function:arch/arm64/mm/mmu.c:arch_add_memory": False,
        "function:arch/x86/mm/init_64.c:arch_add_memory": True,
    }
    assert "function:arch/arm64/mm/mmu.c:arch_add_memory" not in without


def test_tree_calls_into_arch(graphs: tuple[nx.MultiDiGraph, nx.MultiDiGraph]) -> None:
    with_tree, _ = graphs
    callees = {v for _, v, k in with_tree.out_edges(RESOURCE, data="kind") if k == "calls"}
    assert callees == {
        "function:arch/arm64/mm/mmu.c:arch_add_memory",
        "function:arch/x86/mm/init_64.c:arch_add_memory",
    }
