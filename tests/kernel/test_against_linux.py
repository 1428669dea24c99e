"""The model against Debian's Linux 6.1 under QEMU, flow by flow: every observable must
agree or be a listed by-design difference. Both sides are computed at run time; nothing
here holds a number read off an earlier run."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from patchscope.kernel.compare import Comparison, compare
from patchscope.kernel.guest import BOOT_MEMORY
from patchscope.kernel.model_side import params_for, replay_phases
from patchscope.kernel.observe import ZONE_OF
from patchscope.kernel.scenario import Scenario, compare_run, model_stage
from patchscope.kernel.session import PHASES, KernelRun
from tests.conftest import ROOT
from tests.kernel.conftest import NEEDS_GUEST, SCENARIOS, TIMEOUT

pytestmark = [pytest.mark.timeout(TIMEOUT), *NEEDS_GUEST]


def compared(name: str, runs: dict[str, KernelRun], scenario: Scenario | None = None) -> Comparison:
    s = scenario or SCENARIOS[name]
    return compare_run(s, model_stage(s.series, s.stage), runs[name])


def row(c: Comparison, phase: str, observable: str) -> tuple[object, object, bool]:
    (r,) = [r for r in c.rows if (r.phase, r.observable) == (phase, observable)]
    return r.model, r.kernel, r.agree


def test_lifecycle_1g_movable_agrees_at_the_base_stage(kernel_runs: dict[str, KernelRun]) -> None:
    c = compared("lifecycle-1g", kernel_runs)
    assert [p.outcome for p in kernel_runs["lifecycle-1g"].phases] == ["ok"] * 4
    assert not c.model_bugs, c.model_bugs
    # the 6.1 difference this flow shows, and no other
    assert {r.by_design for r in c.rows if not r.agree} == {"zone-shrinks-at-offline"}
    # what the guest shows, from its own numbers: 1 GiB in blocks of its block size, each
    # block's memmap (64-byte struct pages) taken from the node until the DIMM is removed
    blocks = (1 << 30) // c.block_size
    assert row(c, "hot-add", "memory_blocks") == (blocks, blocks, True)
    memmap = (1 << 30) // 4096 * 64 // 4096
    assert row(c, "hot-add", "memmap_from_node_pages") == (memmap, memmap, True)
    assert row(c, "online", "zone_managed") == ((1 << 30) // 4096,) * 2 + (True,)
    assert row(c, "hot-remove", "memmap_from_node_pages") == (0, 0, True)


def test_one_block_memmap_on_memory_agrees_with_the_memmap_from_range_stage(
    kernel_runs: dict[str, KernelRun],
) -> None:
    c = compared("memmap-on-memory", kernel_runs)
    assert not c.model_bugs, c.model_bugs
    for phase in ("hot-add", "online"):
        for observable in (
            "memory_blocks",
            "zone_spanned",
            "zone_present",
            "zone_managed",
            "memmap_from_node_pages",
        ):
            assert row(c, phase, observable)[2], (phase, observable)
    kernel = row(c, "online", "zone_managed")[1]
    present = row(c, "online", "zone_present")[1]
    assert isinstance(kernel, int) and isinstance(present, int)
    assert 0 < kernel < present  # the memmap sits on the block: present, not managed


def test_the_base_stage_lacks_memmap_on_memory_by_design(
    kernel_runs: dict[str, KernelRun],
) -> None:
    """Perturbed: the same guest run against the base stage, which has no memmap on the
    memory: the memmap rows now disagree, and only the 6.1 entry may explain them."""
    base = dataclasses.replace(SCENARIOS["memmap-on-memory"], stage=0)
    c = compared("memmap-on-memory", kernel_runs, base)
    assert not row(c, "online", "zone_managed")[2]
    assert {r.by_design for r in c.rows if not r.agree} == {
        "zone-shrinks-at-offline",
        "memmap-on-memory-is-6.1",
    }


def test_a_model_of_another_size_disagrees(kernel_runs: dict[str, KernelRun]) -> None:
    """Perturbed: the 1 GiB guest run beside the model's replay of 2 GiB at the same
    address is a model bug, not hidden by the by-design list."""
    run = kernel_runs["lifecycle-1g"]
    r = run.request
    params = params_for(2 * r.size, r.dimms, run.start, r.online_type, BOOT_MEMORY)
    model = replay_phases(PHASES[r.flow], params, None, ZONE_OF[r.online_type])
    c = compare(run, model, 0, ZONE_OF[r.online_type], 512)
    assert {"memory_blocks", "sections", "zone_present"} <= {o.observable for o in c.model_bugs}


def test_an_unaligned_dimm_is_refused_by_both(kernel_runs: dict[str, KernelRun]) -> None:
    run = kernel_runs["unaligned"]
    assert run.request.size % run.baseline.block_size  # the scenario is really unaligned
    c = compared("unaligned", kernel_runs)
    assert not c.model_bugs, c.model_bugs
    assert row(c, "hot-add", "outcome") == ("refused", "refused", True)
    assert row(c, "hot-add", "memory_blocks") == (0, 0, True)
    assert [r.phase for r in c.rows] == ["hot-add"] * len(c.rows)


def test_json_follows_its_schema(kernel_runs: dict[str, KernelRun]) -> None:
    schema = json.loads((ROOT / "patchscope" / "schema" / "kernel.schema.json").read_text())
    for name in SCENARIOS:
        document = compared(name, kernel_runs).to_json()
        jsonschema.validate(document, schema)
        assert document["agree"] is True
