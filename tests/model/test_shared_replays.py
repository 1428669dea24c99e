"""Flows that begin alike are replayed together (`replay_flows`): every replay is the one the
flow gives alone, and a forked kernel goes on apart from the kernel it was forked from."""

from __future__ import annotations

from typing import Any

import pytest

from patchscope.model.memory_hotplug.flows import (
    FLOWS,
    FlowParams,
    Replay,
    hot_add,
    hot_remove,
    make_config,
    online,
    replay,
    replay_flows,
)
from patchscope.model.memory_hotplug.kernel import Kernel
from patchscope.model.memory_hotplug.stages import Stage

TOGETHER = ("hot-add", "online", "offline", "hot-remove", "lifecycle", "offline-hwpoison")


def _seen(r: Replay) -> tuple[dict[str, Any], object]:
    return r.to_json(), r.hits


@pytest.mark.parametrize(
    "params",
    [
        FlowParams(arch="x86_64"),
        FlowParams(arch="ppc64"),
        FlowParams(arch="s390"),
        FlowParams(arch="arm64"),  # no hot-remove: the remove part ends with an error
        FlowParams(driver="hyperv"),  # added in chunks, one step each
        FlowParams(blocks=(1, 0), size=256 << 20),  # offline onlines all, online only these
        FlowParams(start=(4 << 30) + (1 << 20)),  # not block-aligned: every flow ends at once
    ],
    ids=lambda p: f"{p.arch}-{p.driver}-{p.blocks}-{p.start:#x}",
)
def test_flows_replayed_together_are_replayed_as_alone(
    reference_stages: list[Stage], params: FlowParams
) -> None:
    flows = [FLOWS[name] for name in TOGETHER]
    for stage in (0, 3, 4):  # the base tree, the patch that changes hot-add, the last
        together = replay_flows(flows, params, reference_stages, stage=stage)
        alone = [replay(flow, params, reference_stages, stage=stage) for flow in flows]
        assert [r.flow for r in together] == list(TOGETHER)
        assert [_seen(r) for r in together] == [_seen(r) for r in alone]


def test_the_same_flow_twice_gives_the_same_replay_twice(reference_stages: list[Stage]) -> None:
    flows = [FLOWS["online"], FLOWS["hot-add"], FLOWS["online"]]
    first, added, again = replay_flows(flows, FlowParams(), reference_stages)
    assert _seen(first) == _seen(again)
    assert len(added.trace) < len(first.trace)  # the online steps are not in hot-add's


def _state(k: Kernel) -> tuple[object, ...]:
    return (
        k.snapshot(),
        list(k.trace),
        {nr: (s.present, s.online, s.has_mem_map) for nr, s in k.sections.items()},
        {i: b.section_count for i, b in k.memory_blocks.items()},
        dict(k.vmemmap),
        list(k.pages.runs(0, 1 << 40)),
        dict(k.globals),
        list(k.iomem),
        [bug.message for bug in k.bugs],
    )


def test_a_fork_shares_no_state_but_its_configuration_and_stage() -> None:
    """Every attribute that can change in place is the fork's own: one added to Kernel
    later and forgotten by fork() fails here."""
    p = FlowParams(size=1 << 30)
    k = Kernel(make_config(p))
    list(hot_add(k, p))
    fork = k.fork()
    shared = {
        name
        for name, value in vars(k).items()
        if value is vars(fork)[name] and not isinstance(value, int | str | type(None))
    }
    assert shared == {"config", "stage"}  # both immutable
    assert vars(fork).keys() == vars(k).keys()


def test_a_fork_goes_on_apart_and_the_kernel_can_go_on_as_if_never_forked() -> None:
    p = FlowParams(size=1 << 30)
    k = Kernel(make_config(p))
    list(hot_add(k, p))
    before = _state(k)
    fork = k.fork()
    list(online(fork, p))
    list(hot_remove(fork, p))  # of online memory: a BUG() the fork records, the kernel not
    assert _state(k) == before
    assert _state(fork) != before  # the fork did change
    list(online(k, p))
    list(hot_remove(k, p))
    assert _state(k) == _state(fork)
