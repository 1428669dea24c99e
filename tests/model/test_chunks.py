"""Hot-add in chunks, as the Hyper-V balloon driver adds memory (drivers/hv/hv_balloon.c
hv_mem_hot_add(): one add_memory() of HA_CHUNK, 128 MiB, at a time). Expected numbers come
from the x86_64 facts of design.md: 4 KiB pages, 64-byte struct pages, 128 MiB sections."""

from __future__ import annotations

import pytest

from patchscope.model.memory_hotplug.flows import (
    FLOWS,
    FlowError,
    FlowParams,
    Replay,
    hot_add,
    make_config,
    online,
    parse_params,
    replay,
)
from patchscope.model.memory_hotplug.kernel import Kernel
from patchscope.model.memory_hotplug.observe import free_runs
from patchscope.model.memory_hotplug.stages import Stage, model_name, series_model
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST

GIB, MIB = 1 << 30, 1 << 20
PAGE_SHIFT, STRUCT_PAGE, SECTION = 12, 64, 128 * MIB
START = 4 * GIB


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    source = str(REFERENCE_MANIFEST)
    return series_model(load_series(source), model_name(source))


def memmap_pages(size: int) -> int:
    """Pages of struct page that `size` bytes of memory need."""
    return (size >> PAGE_SHIFT) * STRUCT_PAGE >> PAGE_SHIFT


def run(stages: list[Stage], flow: str, stage: int = 4, **params: object) -> Replay:
    return replay(FLOWS[flow], FlowParams(**params), stages, stage=stage)  # type: ignore[arg-type]


def added_and_onlined(stage: Stage, p: FlowParams) -> Kernel:
    k = Kernel(make_config(p), stage)
    for _ in (*hot_add(k, p), *online(k, p)):
        pass
    return k


@pytest.mark.parametrize(("size", "chunk"), [(2 * GIB, 128 * MIB), (1 * GIB, 256 * MIB)])
def test_each_chunk_holds_its_own_memmap_at_its_start(
    stages: list[Stage], size: int, chunk: int
) -> None:
    p = FlowParams(size=size, start=START, chunk=chunk)
    k = added_and_onlined(stages[-1], p)
    adds = [t for t in k.trace if t.function == "add_memory"]
    starts = list(range(START, START + size, chunk))
    assert [t.args for t in adds] == [f"0, {s:#x}, {chunk:#x}, acpi" for s in starts]
    per_chunk = memmap_pages(chunk)
    backing = sorted((b.pfn, b.end_pfn) for b in k.vmemmap.values() if b.altmap)
    pmd = 1 << 9  # one 2 MiB PMD of 4 KiB pages per section's memmap
    expected = [
        (pfn, pfn + pmd)
        for s in starts
        for pfn in range(s >> PAGE_SHIFT, (s >> PAGE_SHIFT) + per_chunk, pmd)
    ]
    assert backing == expected
    # online frees the rest of each chunk to the buddy: one free stretch per chunk
    first, last = START >> PAGE_SHIFT, (START + size) >> PAGE_SHIFT
    assert free_runs(k, first, last) == [
        ((s >> PAGE_SHIFT) + per_chunk, (s + chunk) >> PAGE_SHIFT) for s in starts
    ]


def test_the_head_of_a_chunked_range_counts_its_own_chunk(stages: list[Stage]) -> None:
    chunked = run(stages, "online", size=2 * GIB, start=START, chunk=128 * MIB).observables
    whole = run(stages, "online", size=2 * GIB, start=START).observables
    assert chunked["memmap_from_range_pages"] == whole["memmap_from_range_pages"]
    assert whole["memmap_from_range_pages"] == memmap_pages(2 * GIB)
    assert (chunked["refcount"], chunked["private"]) == (1, memmap_pages(128 * MIB))
    assert (whole["refcount"], whole["private"]) == (2 * GIB // SECTION, memmap_pages(2 * GIB))
    assert chunked["managed_pages"] == whole["managed_pages"]
    # 1 GiB gigantic pages: none once every 128 MiB block starts with its memmap, while one
    # add_memory() keeps 32 MiB at 4 GiB only and leaves [5 GiB, 6 GiB) whole
    assert (chunked["gigantic_pages"], whole["gigantic_pages"]) == (0, 1)


def test_a_chunked_lifecycle_leaves_nothing(stages: list[Stage]) -> None:
    done = run(stages, "lifecycle", size=1 * GIB, start=START, chunk=256 * MIB)
    assert not [f for f in done.findings if f.rule == "invariant-nothing-left"]
    frees = [t["function"] for t in done.trace if t["step"] == "hot-remove"]
    assert frees.count("free_deferred_vmemmap_range") == 1 * GIB // (256 * MIB)


def test_a_range_not_a_multiple_of_the_chunk_is_rounded_out_to_whole_chunks(
    stages: list[Stage],
) -> None:
    """hv_balloon.c process_hot_add(): with no region from the host, the region starts at
    the chunk below the first page and is the page count rounded up to whole chunks."""
    done = run(stages, "lifecycle", size=192 * MIB, start=START, driver="hyperv")
    adds = [t["args"] for t in done.trace if t["function"] == "add_memory"]
    assert adds == [
        f"0, {START:#x}, 0x8000000, hyperv",
        f"0, {START + 128 * MIB:#x}, 0x8000000, hyperv",
    ]
    assert [t["args"] for t in done.trace if t["function"] == "remove_memory"] == [
        f"0, {START:#x}, 0x10000000"
    ]
    assert not [f for f in done.findings if f.rule == "invariant-memory-block-api"]
    unaligned = run(stages, "hot-add", size=128 * MIB, start=START + 64 * MIB, chunk=128 * MIB)
    assert [t["args"] for t in unaligned.trace if t["function"] == "add_memory"] == [
        f"0, {START:#x}, 0x8000000, acpi"
    ]


def test_hyperv_adds_128_mib_at_a_time_by_default(stages: list[Stage]) -> None:
    done = run(stages, "hot-add", stage=0, size=2 * GIB, start=START, driver="hyperv")
    adds = [t for t in done.trace if t["function"] == "add_memory"]
    assert len(adds) == 2 * GIB // (128 * MIB)
    assert done.observables["memory_blocks_registered"] == 2 * GIB // (128 * MIB)
    acpi = run(stages, "hot-add", stage=0, size=2 * GIB, start=START)
    assert [t["function"] for t in acpi.trace].count("add_memory") == 1


def test_chunks_smaller_than_a_memory_block_are_rejected_by_the_kernel(
    stages: list[Stage],
) -> None:
    """check_hotplug_memory_range(): each add_memory() must cover whole memory blocks."""
    done = run(stages, "hot-add", size=2 * GIB, start=START, block_size=2 * GIB, chunk=128 * MIB)
    assert done.observables["error"] == "EINVAL"
    assert [t["function"] for t in done.trace].count("add_memory") == 1


def test_bad_chunks(stages: list[Stage]) -> None:
    assert parse_params(chunk="128M").chunk == 128 * MIB
    with pytest.raises(FlowError, match="not a positive size"):
        run(stages, "hot-add", chunk=0)
    with pytest.raises(FlowError, match="devm"):
        run(stages, "hot-add", driver="devm", chunk=128 * MIB)
