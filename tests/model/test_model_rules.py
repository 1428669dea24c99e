"""The invariants no reference-series finding breaks reach a reviewer under the rule names
the README documents: broken on purpose in a hand-mutated kernel (as in test_invariants.py),
each violation, as a replay's hit, becomes a `model-accounting` or `model-memmap-backing`
finding, an error at the patch that shows it and an info in the base tree."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from patchscope.findings import Finding
from patchscope.model.findings import finding, sightings
from patchscope.model.memory_hotplug import Kernel
from patchscope.model.memory_hotplug.flows import FlowParams, Hit, Replay
from patchscope.model.memory_hotplug.invariants import check
from tests.model.test_invariants import START_PFN, _online


def _accounting_broken(k: Kernel) -> None:
    k.totalram_pages -= 1


def _vmemmap_freed_to_the_buddy(k: Kernel) -> None:
    c = k.config
    block = k.vmemmap[c.page_va(START_PFN) >> c.vmemmap_page_shift]
    k.call("free_one_page", block.pfn, block.order)  # freed while still mapped


def _findings(k: Kernel, stage: int) -> list[Finding]:
    hits = tuple(Hit(v.name, v.message, ("online",), ("online_pages",), ()) for v in check(k))
    replay = Replay("online", "x86_64", stage, {}, {}, (), (), hits=hits)
    seen = sightings([("online x86_64", FlowParams(), replay)])
    return [finding(key, each, last=1) for key, each in seen.items()]


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (_accounting_broken, "model-accounting"),
        (_vmemmap_freed_to_the_buddy, "model-memmap-backing"),
    ],
)
def test_the_invariant_is_reported_under_its_rule(
    mutate: Callable[[Kernel], None], rule: str
) -> None:
    k = _online()
    assert _findings(k, 1) == []  # the sound kernel: nothing to report
    mutate(k)
    at_patch = _findings(k, 1)
    assert [(f.rule, f.severity, f.patch) for f in at_patch] == [(rule, "error", 1)]
    in_base = _findings(k, 0)
    assert [(f.rule, f.severity, f.patch) for f in in_base] == [(rule, "info", None)]
