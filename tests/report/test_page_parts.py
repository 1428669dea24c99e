"""The parts of the page that make it short: the behaviour said once per change, the focused
graph of a patch, findings by rule, stage tables down to their moving rows, and the
static and model verdicts of one claim side by side. Inputs are built here by hand."""

from __future__ import annotations

import re

import networkx as nx

from patchscope.diff.model import Diffstat
from patchscope.findings import Finding
from patchscope.graph.export import to_dot
from patchscope.model.verdicts import Scenario, ScenarioDelta, Verdict
from patchscope.report.behaviour import summarise
from patchscope.report.html import rule_groups, stage_grids
from patchscope.report.modelpart import StageRow, part_of
from patchscope.report.pictures import focus

MOVED = {"memmap_from_node_pages": (8192, 0), "memmap_from_range_pages": (0, 8192)}


def _delta(flow: str, arch: str, observables: dict[str, tuple[object, object]], *gained: str,
           params: tuple[tuple[str, object], ...] = ()) -> ScenarioDelta:  # fmt: skip
    return ScenarioDelta(Scenario(flow, arch, params), observables, gained, ())


def test_a_change_seen_by_every_flow_of_two_arches_is_said_once() -> None:
    deltas = [
        _delta(flow, arch, {**MOVED, "managed_pages": (524288, 516096)})
        for arch in ("x86_64", "arm64")
        for flow in ("hot-add", "online", "offline")
    ]
    (only,) = summarise(deltas)
    assert only.where == ("x86_64", "arm64")
    assert only.changes == ("memmap 8,192 pages node -> range", "managed_pages -8,192")


def test_arches_that_differ_are_grouped_apart_and_broken_invariants_lead() -> None:
    deltas = [
        _delta("hot-add", "x86_64", {"refcount": (0, 16), **MOVED}),
        _delta("hot-add", "arm64", {"refcount": (0, 2), **MOVED}),
        _delta("online", "s390", {"error": ("", "EINVAL")}, "invariant-kernel-bug"),
        _delta("offline", "x86_64", {"error": ("EBUSY", "")}, params=(("holes", "1"),)),
    ]
    said = [(a.where, a.changes) for a in summarise(deltas)]
    assert said == [
        (("s390",), ("fires kernel-bug", "error none -> EINVAL")),
        (("x86_64", "arm64"), ("memmap 8,192 pages node -> range",)),
        # then arch by arch in the order they come; a change seen only with holes names
        # that scenario, not the whole arch
        (("x86_64",), ("refcount +16",)),
        (("x86_64 offline holes=1",), ("error EBUSY -> none",)),
        (("arm64",), ("refcount +2",)),
    ]


def test_counters_that_do_not_trade_the_same_pages_stay_apart() -> None:
    uneven = {"memmap_from_node_pages": (8192, 0), "memmap_from_range_pages": (0, 4096)}
    (only,) = summarise([_delta("hot-add", "x86_64", uneven)])
    assert only.changes == ("memmap_from_node_pages -8,192", "memmap_from_range_pages +4,096")


def test_model_part_carries_the_summary_beside_the_raw_lines() -> None:
    delta = _delta("online", "ppc64", {}, "invariant-poisoned-read")
    verdict = Verdict(3, "t", Diffstat(1, 1, 0), (), (delta,), (), ())
    part = part_of([], [verdict], {})
    assert part.behaviour[3] == ("online ppc64: now fires invariant-poisoned-read",)
    assert [a.text for a in part.summary[3]] == ["ppc64: fires poisoned-read"]


def _graph() -> nx.MultiDiGraph:
    """patch 1 modifies mm/a.c:f, which x86's g calls and which calls drivers' h; h calls
    k two edges from f; f also calls memset, defined nowhere; patch 2 modifies h."""
    g = nx.MultiDiGraph()
    for node, kind, area in [
        ("patch:1", "patch", ""),
        ("patch:2", "patch", ""),
        ("file:mm/a.c", "file", "mm"),
        ("function:mm/a.c:f", "function", "mm"),
        ("function:arch/x86/mm/b.c:g", "function", "arch/x86"),
        ("function:drivers/c.c:h", "function", "drivers"),
        ("function:include/d.h:k", "function", "include"),
        ("function::memset", "function", "unknown"),
    ]:
        g.add_node(node, kind=kind, area=area, name=node.rpartition(":")[2])
    g.add_edge("patch:1", "function:mm/a.c:f", kind="modifies", change="modified")
    g.add_edge("patch:2", "function:drivers/c.c:h", kind="modifies", change="modified")
    g.add_edge("file:mm/a.c", "function:mm/a.c:f", kind="defines")
    g.add_edge("function:arch/x86/mm/b.c:g", "function:mm/a.c:f", kind="calls", via="direct")
    g.add_edge("function:mm/a.c:f", "function:drivers/c.c:h", kind="calls", via="direct")
    g.add_edge("function:drivers/c.c:h", "function:include/d.h:k", kind="calls", via="direct")
    g.add_edge("function:mm/a.c:f", "function::memset", kind="calls", via="direct")
    return g


def test_focus_is_one_hop_around_the_patch_clustered_by_area() -> None:
    near = focus(_graph(), 1)
    assert set(near.nodes) == {
        "patch:1",
        "file:mm/a.c",
        "function:mm/a.c:f",
        "function:arch/x86/mm/b.c:g",
        "function:drivers/c.c:h",
    }
    dot = to_dot(near)
    clusters = re.findall(r'subgraph cluster_\d+ \{\n    label="([^"]+)";', dot)
    assert sorted(clusters) == ["arch/x86", "drivers", "mm"]
    assert '"function:arch/x86/mm/b.c:g" -> "function:mm/a.c:f"' in dot


def test_focus_of_another_patch_moves_with_it() -> None:
    """Perturbed: patch 2's neighbourhood is h's, so k comes in and x86's g goes out."""
    near = focus(_graph(), 2)
    assert set(near.nodes) == {
        "patch:2",
        "function:drivers/c.c:h",
        "function:mm/a.c:f",
        "function:include/d.h:k",
    }
    clusters = re.findall(r'label="([^"]+)";', to_dot(near))
    assert sorted(clusters) == ["drivers", "include", "mm"]


def test_findings_by_rule_worst_first_then_most() -> None:
    found = [
        Finding("style", "info", "a"),
        Finding("not-cc", "warning", "b"),
        Finding("not-cc", "warning", "c"),
        Finding("typo", "warning", "d"),
        Finding("bug", "info", "e"),
        Finding("bug", "error", "f"),
    ]
    groups = rule_groups([(f"a{i}", f) for i, f in enumerate(found)])
    assert [(g.rule, g.severity, len(g.findings)) for g in groups] == [
        ("bug", "error", 2),
        ("not-cc", "warning", 2),
        ("typo", "warning", 1),
        ("style", "info", 1),
    ]


def test_stage_tables_keep_only_the_moving_rows_closed() -> None:
    rows = tuple(
        StageRow(stage, "hot-add x86_64", name, value)
        for stage, values in enumerate([("16", "0"), ("16", "0"), ("16", "8192")])
        for name, value in zip(("sections", "memmap_from_range_pages"), values, strict=True)
    )
    (grid,) = stage_grids(rows)
    assert [name for name, _, _ in grid.rows] == ["memmap_from_range_pages", "sections"]
    assert [name for name, _, _ in grid.moving] == ["memmap_from_range_pages"]
