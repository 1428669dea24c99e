"""The reference series' stage module replayed: the cover letter's example, computed here
from the kernel facts (design.md) and read off the cover letter, then perturbed."""

from __future__ import annotations

import re

import pytest

from patchscope.model.memory_hotplug.flows import FLOWS, FlowParams, Replay, replay, replay_all
from patchscope.model.memory_hotplug.stages import Stage, model_name, series_model
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX

GIB, MIB = 1 << 30, 1 << 20
# x86_64, 4-level paging (design.md): 4 KiB pages, 128 MiB sections, 64-byte struct page
PAGE_SHIFT, SECTION_SIZE_BITS, STRUCT_PAGE, VMEMMAP_START = 12, 27, 64, 0xFFFFEA0000000000


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    source = str(REFERENCE_MANIFEST)
    return series_model(load_series(source), model_name(source))


def run(stages: list[Stage], flow: str, stage: int | None = None, **params: object) -> Replay:
    return replay(FLOWS[flow], FlowParams(**params), stages, stage=stage)  # type: ignore[arg-type]


def expected_x86(start: int, size: int) -> dict[str, object]:
    pfn, pages = start >> PAGE_SHIFT, size >> PAGE_SHIFT
    vmemmap = pages * STRUCT_PAGE >> PAGE_SHIFT
    return {
        "sections": size >> SECTION_SIZE_BITS,
        "pages": pages,
        "vmemmap_pages": vmemmap,
        "memmap_va_start": f"{VMEMMAP_START + pfn * STRUCT_PAGE:#018x}",
        "memmap_va_end": f"{VMEMMAP_START + (pfn + pages) * STRUCT_PAGE:#018x}",
        "vmemmap_va_start": f"{VMEMMAP_START + pfn * STRUCT_PAGE:#018x}",
        "vmemmap_va_end": f"{VMEMMAP_START + (pfn + vmemmap) * STRUCT_PAGE:#018x}",
    }


def cover_letter_numbers() -> dict[str, object]:
    """The 2 GB example of the cover letter's design section, as the text states it."""
    text = REFERENCE_MBOX.read_text().split("[Overall design]", 1)[1]
    ranges = re.findall(r"(0x[0-9a-f]+) - (0x[0-9a-f]+)", text)
    return {
        "sections": int(re.search(r"(\d+) sections", text).group(1)),  # type: ignore[union-attr]
        "pages": int(re.search(r"(\d+) pages\n", text).group(1)),  # type: ignore[union-attr]
        "vmemmap_pages": int(re.search(r"(\d+) vmemmap pages", text).group(1)),  # type: ignore[union-attr]
        "memmap_va_start": ranges[0][0],
        "memmap_va_end": ranges[0][1],
        "vmemmap_va_start": ranges[1][0],
        "vmemmap_va_end": ranges[1][1],
    }


def test_the_cover_letter_example_at_the_last_stage(stages: list[Stage]) -> None:
    done = run(stages, "hot-add")
    seen = done.observables
    computed = expected_x86(4 * GIB, 2 * GIB)
    assert computed == cover_letter_numbers()
    assert {key: seen[key] for key in computed} == computed
    assert seen["memmap_from_range_pages"] == computed["vmemmap_pages"]
    assert seen["memmap_from_node_pages"] == 0
    assert seen["refcount"] == computed["sections"]  # head->_refcount: number of sections
    assert seen["private"] == computed["vmemmap_pages"]  # head->private: vmemmap pages
    assert done.stage == 4 and done.findings == ()


def test_online_counts_vmemmap_pages_present_not_managed(stages: list[Stage]) -> None:
    seen = run(stages, "online").observables
    pages, vmemmap = 2 * GIB >> PAGE_SHIFT, (2 * GIB >> PAGE_SHIFT) * STRUCT_PAGE >> PAGE_SHIFT
    assert (seen["spanned_pages"], seen["present_pages"]) == (pages, pages)
    assert seen["managed_pages"] == pages - vmemmap


def test_before_3_4_the_memmap_comes_from_the_node(stages: list[Stage]) -> None:
    """Perturbed stage: at 2/4 the same add takes every memmap page from node memory."""
    seen = run(stages, "hot-add", stage=2).observables
    assert seen["memmap_from_range_pages"] == 0
    assert seen["memmap_from_node_pages"] == expected_x86(4 * GIB, 2 * GIB)["vmemmap_pages"]
    assert (seen["refcount"], seen["private"]) == (0, 0)


@pytest.mark.parametrize(
    ("start", "size"),
    [(4 * GIB, 4 * GIB), (128 * GIB, 64 * GIB), (1 << 40, 1 << 40)],
    ids=["4G", "64G-at-128G", "1T"],
)
def test_other_sizes(stages: list[Stage], start: int, size: int) -> None:
    seen = run(stages, "hot-add", start=start, size=size).observables
    computed = expected_x86(start, size)
    assert {key: seen[key] for key in computed} == computed
    assert seen["memmap_from_range_pages"] == computed["vmemmap_pages"]
    assert seen["refcount"] == computed["sections"]


def test_two_gib_memory_blocks(stages: list[Stage]) -> None:
    seen = run(stages, "hot-add", block_size=2 * GIB).observables
    assert seen["memory_blocks_registered"] == 1
    assert seen["memmap_from_range_pages"] == expected_x86(4 * GIB, 2 * GIB)["vmemmap_pages"]


def test_a_start_off_the_block_size_is_rejected(stages: list[Stage]) -> None:
    seen = run(stages, "hot-add", start=4 * GIB + 64 * MIB, block_size=128 * MIB).observables
    assert seen["error"] == "EINVAL"
    assert seen["memmap_from_range_pages"] == seen["memmap_from_node_pages"] == 0


def test_ppc64_takes_one_16m_vmemmap_page_from_the_range(stages: list[Stage]) -> None:
    """64 KiB pages, 16 MiB sections, vmemmap mapped with 16 MiB pages: 1 GiB at 16 GiB needs
    a fresh 16 MiB vmemmap page, which 3/4 carves from the range (256 pages of 64 KiB)."""
    page_shift, vmemmap_page = 16, 16 * MIB
    seen = run(stages, "hot-add", stage=3, arch="ppc64", start=16 * GIB, size=GIB).observables
    assert seen["sections"] == GIB // (16 * MIB)
    assert seen["memmap_from_range_pages"] == vmemmap_page >> page_shift
    before = run(stages, "hot-add", stage=2, arch="ppc64", start=16 * GIB, size=GIB)
    assert before.observables["order8_allocations"] == 1


def test_no_free_order8_block_fails_before_3_4_only(stages: list[Stage]) -> None:
    flow = FLOWS["hot-add-no-order8"]
    params = FlowParams(arch="ppc64", fragment=8, size=GIB, start=16 * GIB)
    assert replay(flow, params, stages, stage=2).observables["error"] == "ENOMEM"
    assert replay(flow, params, stages, stage=3).observables["error"] == ""


@pytest.mark.parametrize("driver", ["hyperv", "xen"])
def test_balloon_drivers_switch_it_off(stages: list[Stage], driver: str) -> None:
    seen = run(stages, "hot-add", stage=3, driver=driver).observables
    assert seen["memmap_from_range_pages"] == 0
    assert seen["memmap_from_node_pages"] == expected_x86(4 * GIB, 2 * GIB)["vmemmap_pages"]


def test_s390_vetoes_the_flag_and_with_it_the_memory_blocks(stages: list[Stage]) -> None:
    """`flags &= ~MHP_MEMMAP_FROM_RANGE` with `1<<1` unparenthesised clears bit 0 too, so
    the memory-block API is lost; the constructor then reads a NULL altmap."""
    done = run(stages, "hot-add", stage=3, arch="s390")
    assert done.observables["memmap_from_range_pages"] == 0
    assert done.observables["memory_blocks_registered"] == 0
    rules = {f.rule for f in done.findings}
    assert {"invariant-memory-block-api", "invariant-kernel-bug"} <= rules
    assert run(stages, "hot-add", stage=2, arch="s390").observables["memory_blocks_registered"]


def test_only_3_4_moves_the_memmap(stages: list[Stage]) -> None:
    documents = replay_all(FLOWS["hot-add"], FlowParams(), stages)
    moved = [d["stage"] for d in documents if "memmap_from_range_pages" in d["delta"]]
    assert moved == [3]
    assert documents[4]["delta"] == {}  # 4/4 renames only


def test_remove_frees_the_memmap_last(stages: list[Stage]) -> None:
    done = run(stages, "lifecycle")
    assert done.observables["memmap_from_range_pages"] == 0
    assert not [f for f in done.findings if f.rule == "invariant-nothing-left"]
    frees = [t["function"] for t in done.trace if t["step"] == "hot-remove"]
    assert frees.count("vmemmap_dec_and_test") == 16
    assert frees.index("free_deferred_vmemmap_range") > frees.index("free_section_memmap")


def test_4_4_calls_the_memmap_helpers_by_their_new_names(stages: list[Stage]) -> None:
    """The names come from the mail's own -/+ lines of 4/4."""
    mail = REFERENCE_MBOX.read_text().split("[RFC PATCH v2 4/4]", 1)[1].split("\nFrom ", 1)[0]
    old = set(re.findall(r"(?m)^-static [^(]*?(\w+)\(", mail))
    new = set(re.findall(r"(?m)^\+static [^(]*?(\w+)\(", mail))
    assert old == {"kmalloc_section_memmap", "__kfree_section_memmap"}
    before = {t["function"] for t in run(stages, "lifecycle", stage=3).trace}
    after = {t["function"] for t in run(stages, "lifecycle", stage=4).trace}
    assert old <= before and not new & before
    assert new <= after and not old & after


def test_1_4_counts_what_it_offlines_as_the_base_did(stages: list[Stage]) -> None:
    """One block of four offlined, with a poisoned page in it: the zone loses exactly that
    block (32768 pages of 4 KiB in 128 MiB) from present and managed, before and after 1/4."""
    params = {"size": 512 * MIB, "blocks": (1,), "hwpoison": (32768 + 5,)}
    left = (512 * MIB - 128 * MIB) >> PAGE_SHIFT
    for stage in (0, 1):
        seen = run(stages, "offline", stage=stage, **params).observables
        assert (seen["present_pages"], seen["managed_pages"]) == (left, left)


def test_removing_blocks_last_to_first_strands_the_heads_memmap(stages: list[Stage]) -> None:
    """3/4 assumes sections go first to last: backwards, the head's section comes last with
    its refcount still at sections - 1, so one section's memmap (2 MiB: 512 pages of 4 KiB)
    stays mapped from the removed range and the deferral globals stay set."""
    backwards = tuple(range(15, -1, -1))
    done = run(stages, "lifecycle", blocks=backwards)
    section_memmap = (1 << SECTION_SIZE_BITS >> PAGE_SHIFT) * STRUCT_PAGE >> PAGE_SHIFT
    assert done.observables["memmap_from_range_pages"] == section_memmap
    left = [f.message for f in done.findings if f.rule == "invariant-nothing-left"]
    assert any("head_vmemmap_page, in_vmemmap_range" in m for m in left)
    forwards = run(stages, "lifecycle", blocks=tuple(range(16)))
    assert forwards.observables["memmap_from_range_pages"] == 0


def test_the_base_offline_path_is_v5_0s_and_1_4_removes_its_two_helpers(
    stages: list[Stage],
) -> None:
    """v5.0 __offline_pages() checks through check_pages_isolated() and offlines through
    offline_isolated_pages(), both static helpers around walk_system_ram_range(); 1/4
    deletes them and calls walk_system_ram_range() from __offline_pages() itself."""

    def offline_calls(stage: int) -> list[tuple[str, int]]:
        done = run(stages, "offline", stage=stage, size=128 * MIB)
        step = "offline memory32"  # the 128 MiB block at 4 GiB
        return [(str(t["function"]), int(t["depth"])) for t in done.trace if t["step"] == step]

    base = offline_calls(0)
    names = [name for name, _ in base]
    depth = dict(base)
    for helper, callback, inner in (
        ("check_pages_isolated", "check_pages_isolated_cb", "test_pages_isolated"),
        ("offline_isolated_pages", "offline_isolated_pages_cb", "__offline_isolated_pages"),
    ):
        at = names.index(helper)
        assert names[at + 1 : at + 4] == ["walk_system_ram_range", callback, inner]
        assert depth[callback] == depth[helper] + 2 == depth["__offline_pages"] + 3
    assert names.index("check_pages_isolated") < names.index("offline_isolated_pages")
    assert names.index("offline_isolated_pages") < names.index("undo_isolate_page_range")
    after = [name for name, _ in offline_calls(1)]
    assert "check_pages_isolated" not in after and "offline_isolated_pages" not in after
    assert after.count("walk_system_ram_range") == 2
