"""devm_memremap_pages() (device-private memory) as a flow driver, at every stage of the
reference series. Expected values come from the kernel facts (design.md) and from
kernel/memremap.c as 2/4's hunk shows it, computed here, never read off the model."""

from __future__ import annotations

import re

import pytest

from patchscope.model.memory_hotplug import invariants
from patchscope.model.memory_hotplug.flows import (
    FLOWS,
    FlowError,
    FlowParams,
    Replay,
    hot_add,
    make_config,
    parse_params,
    replay,
)
from patchscope.model.memory_hotplug.kernel import Kernel, MemoryBlock, nr_free_pages
from patchscope.model.memory_hotplug.stages import Stage, model_name, series_model
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX

GIB, MIB = 1 << 30, 1 << 20
# x86_64 (design.md): 4 KiB pages, 128 MiB sections, 64-byte struct page, 128 MiB blocks
PAGE_SHIFT, SECTION_SIZE, STRUCT_PAGE = 12, 128 * MIB, 64


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    source = str(REFERENCE_MANIFEST)
    return series_model(load_series(source), model_name(source))


def run(stages: list[Stage], flow: str, stage: int, **params: object) -> Replay:
    p = FlowParams(driver="devm", **params)  # type: ignore[arg-type]
    return replay(FLOWS[flow], p, stages, stage=stage)


def added(stages: list[Stage], stage: int, **params: object) -> Kernel:
    """A kernel right after the devm hot-add, to look at state the observables leave out."""
    p = FlowParams(driver="devm", **params)  # type: ignore[arg-type]
    k = Kernel(make_config(p), stages[stage])
    for _ in hot_add(k, p):
        pass
    return k


def memmap_pages(size: int) -> int:
    return (size >> PAGE_SHIFT) * STRUCT_PAGE >> PAGE_SHIFT


def called(r: Replay) -> set[str]:
    return {str(t["function"]) for t in r.trace}


def memory_block_findings(r: Replay) -> list[str]:
    return [f.message for f in r.findings if f.rule == "invariant-memory-block-api"]


def test_the_driver_is_a_flow_parameter() -> None:
    assert parse_params(driver="devm").driver == "devm"


@pytest.mark.parametrize("stage", range(5))
def test_hot_add_registers_no_memory_block_and_onlines_nothing(
    stages: list[Stage], stage: int
) -> None:
    done = run(stages, "hot-add", stage)
    assert done.observables["error"] == ""
    assert done.observables["memory_blocks_registered"] == 0
    assert done.observables["managed_pages"] == 0
    assert memory_block_findings(done) == []
    assert {"devm_memremap_pages", "add_pages", "move_pfn_range_to_zone"} <= called(done)
    assert not {"add_memory", "hotplug_memory_register", "online_pages"} & called(done)


def test_the_range_joins_zone_device_reserved_and_out_of_the_buddy(stages: list[Stage]) -> None:
    k = added(stages, 0)
    start_pfn, pages = 4 * GIB >> PAGE_SHIFT, 2 * GIB >> PAGE_SHIFT
    zone = k.nodes[0].zones["Device"]
    assert (zone.zone_start_pfn, zone.spanned_pages) == (start_pfn, pages)
    assert (zone.present_pages, zone.managed_pages, nr_free_pages(zone)) == (0, 0, 0)
    runs = k.pages.runs(start_pfn, start_pfn + pages)
    assert all("Reserved" in s.flags and "Buddy" not in s.flags for _, _, s in runs)
    assert not any(s.online for s in k.sections.values() if s.nr >= start_pfn >> 15)


def test_the_memory_block_invariant_could_fail(stages: list[Stage]) -> None:
    """The same state with a memory block nobody asked for breaks the invariant."""
    k = added(stages, 0)
    assert not [v for v in invariants.check(k) if v.name == "memory-block-api"]
    block = (4 * GIB) // (128 * MIB)
    k.memory_blocks[block] = MemoryBlock(block, 0, section_count=1)
    assert [v.name for v in invariants.check(k)].count("memory-block-api") == 1


def test_acpi_asks_for_the_blocks_devm_does_not(stages: list[Stage]) -> None:
    acpi = replay(FLOWS["hot-add"], FlowParams(), stages, stage=0)
    assert acpi.observables["memory_blocks_registered"] == 2 * GIB // (128 * MIB)


def test_memory_blocks_cannot_be_onlined(stages: list[Stage]) -> None:
    """No sysfs memory block, so nothing for the user to online: -EINVAL."""
    assert run(stages, "online", 0).observables["error"] == "EINVAL"


def test_the_patch_text_the_altmap_expectations_rest_on() -> None:
    """v5.0 gives a device-private add_pages() no altmap; 2/4 stores the driver's."""
    hunk = REFERENCE_MBOX.read_text().split("diff --git a/kernel/memremap.c", 1)[1]
    hunk = hunk.split("\ndiff --git", 1)[0]
    assert re.search(r"^-\s+align_size >> PAGE_SHIFT, NULL, false\);$", hunk, re.M)
    assert re.search(r"^\+\s+restrictions\.altmap = altmap;$", hunk, re.M)


@pytest.mark.parametrize("stage", range(5))
def test_without_an_altmap_the_memmap_comes_from_the_node(stages: list[Stage], stage: int) -> None:
    seen = run(stages, "hot-add", stage).observables
    assert (seen["memmap_from_node_pages"], seen["memmap_from_range_pages"]) == (
        memmap_pages(2 * GIB),
        0,
    )


@pytest.mark.parametrize(("stage", "in_range"), [(0, False), (1, False), (2, True), (3, True)])
@pytest.mark.parametrize(("start", "size"), [(4 * GIB, 2 * GIB), (16 * GIB, 4 * GIB)])
def test_with_an_altmap_the_memmap_is_in_the_range_from_2_4_on(
    stages: list[Stage], stage: int, in_range: bool, start: int, size: int
) -> None:
    seen = run(stages, "hot-add", stage, altmap=True, start=start, size=size).observables
    need = memmap_pages(size)
    where = (0, need) if in_range else (need, 0)
    assert (seen["memmap_from_node_pages"], seen["memmap_from_range_pages"]) == where


@pytest.mark.parametrize("stage", [0, 2, 4])
def test_another_size_is_widened_to_whole_sections(stages: list[Stage], stage: int) -> None:
    """100 MiB from 8 GiB + 64 MiB touches two sections: align_start/align_size."""
    start, size = 8 * GIB + 64 * MIB, 100 * MIB
    align_start = start // SECTION_SIZE * SECTION_SIZE
    align_end = -(-(start + size) // SECTION_SIZE) * SECTION_SIZE
    k = added(stages, stage, start=start, size=size)
    zone = k.nodes[0].zones["Device"]
    assert zone.zone_start_pfn == align_start >> PAGE_SHIFT
    assert zone.spanned_pages == (align_end - align_start) >> PAGE_SHIFT == 65536
    block = 128 * MIB
    assert not set(range(align_start // block, align_end // block)) & set(k.memory_blocks)
    assert not [v for v in invariants.check(k) if v.name == "memory-block-api"]


@pytest.mark.parametrize("stage", [0, 1, 2])
def test_release_leaves_nothing_and_gives_the_memmap_back(stages: list[Stage], stage: int) -> None:
    gone = run(stages, "hot-remove", stage)
    assert gone.findings == ()
    assert "devm_memremap_pages_release" in called(gone)
    total: dict[str, int] = {}
    for step in gone.steps:
        for key, value in step["delta"].items():
            total[key] = total.get(key, 0) + value
    # one 2 MiB vmemmap PMD allocated per section, and every counter back where boot left it
    assert total.pop("order_allocations") == 2 * GIB // SECTION_SIZE
    assert {key: value for key, value in total.items() if value} == {}
    assert gone.steps[0]["delta"]["node0.Device.spanned_pages"] == 2 * GIB >> PAGE_SHIFT


def test_over_system_ram_is_enxio(stages: list[Stage]) -> None:
    assert run(stages, "hot-add", 0, start=0, size=GIB).observables["error"] == "ENXIO"


def test_no_block_by_block_removal(stages: list[Stage]) -> None:
    with pytest.raises(FlowError, match="no memory blocks"):
        run(stages, "hot-remove", 0, blocks=(0,))


def test_an_arch_without_add_pages_is_a_flow_error(stages: list[Stage]) -> None:
    with pytest.raises(FlowError, match="add_pages"):
        run(stages, "hot-add", 0, arch="arm64")
