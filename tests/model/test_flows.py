"""Flow parameters as the CLI gives them, the flow table, replay's deltas and errors."""

from __future__ import annotations

import pytest

from patchscope.model.memory_hotplug.flows import (
    FLOWS,
    FlowError,
    FlowParams,
    delta,
    flow_named,
    parse_params,
    replay,
    with_defaults,
)
from patchscope.model.memory_hotplug.kernel import BaseStage


def test_sizes_and_addresses_in_every_form() -> None:
    p = parse_params(size="4G", start="0x100000000", block_size="128M")
    assert (p.size, p.start, p.block_size) == (4 << 30, 1 << 32, 128 << 20)
    assert parse_params(size="4096").size == 4096


def test_config_items() -> None:
    p = parse_params(config=["CONFIG_DEBUG_VM=n", "nr_nodes=2", "boot_memory_end=64G"])
    assert p.config == (("CONFIG_DEBUG_VM", 0), ("nr_nodes", 2), ("boot_memory_end", 64 << 30))


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"size": "3X"}, "--size: bad size or address '3X'"),
        ({"config": ["CONFIG_DEBUG_VM"]}, "--config wants KEY=VALUE, got 'CONFIG_DEBUG_VM'"),
        ({"driver": "virtio"}, "unknown driver 'virtio'"),
        ({"online_type": "sideways"}, "unknown online type 'sideways'"),
    ],
)
def test_bad_parameters(given: dict[str, object], problem: str) -> None:
    with pytest.raises(FlowError) as caught:
        parse_params(**given)
    assert str(caught.value).startswith(problem)


def test_the_standard_flows_are_there() -> None:
    assert {"hot-add", "online", "offline", "hot-remove", "lifecycle"} <= set(FLOWS)
    with pytest.raises(FlowError, match="unknown flow 'nosuch'"):
        flow_named("nosuch")


def test_a_failure_flow_brings_its_own_parameters_unless_given() -> None:
    flow = FLOWS["hot-add-no-order8"]
    assert with_defaults(flow, FlowParams()).arch == "ppc64"
    kept = with_defaults(flow, FlowParams(size=2 << 30), ["size"])
    assert (kept.arch, kept.size) == ("ppc64", 2 << 30)


def test_delta_lists_what_changed_only() -> None:
    assert delta({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}
    assert delta({"a": 1}, {"a": 1}) == {}


def test_blocks_out_of_the_range_and_missing_stages() -> None:
    stages = [BaseStage()]
    with pytest.raises(FlowError, match=r"memory blocks are numbered 0\.\.15"):
        replay(FLOWS["online"], FlowParams(blocks=(16,)), stages)  # type: ignore[arg-type]
    with pytest.raises(FlowError, match="no stage 3"):
        replay(FLOWS["hot-add"], FlowParams(), stages, stage=3)  # type: ignore[arg-type]


def test_base_tree_online_and_offline_in_any_block_order() -> None:
    """Base tree: 2 GiB at 4 GiB onlined whole, then blocks 3 and 0 offlined."""
    stages = [BaseStage()]
    params = FlowParams(online_type="movable")
    online = replay(FLOWS["online"], params, stages)  # type: ignore[arg-type]
    pages = (2 << 30) >> 12
    assert online.observables["managed_pages"] == online.observables["present_pages"] == pages
    partial = FlowParams(blocks=(3, 0))
    done = replay(FLOWS["offline"], partial, stages)  # type: ignore[arg-type]
    assert done.observables["error"] == ""
    assert [t["step"] for t in done.trace if t["function"] == "offline_pages"] == [
        "offline memory35",
        "offline memory32",
    ]
    assert done.findings == ()
