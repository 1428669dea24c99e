"""Code facts of the reference series, as a reviewer reads them off the four patches.

Every expected value below was written by reading the patches in
../shared/series/memmap-hotadd-rfc-v2/thread.mbox (line numbers counted from
the hunk headers), never by printing what the tool says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchscope.code.facts import series_facts
from patchscope.code.model import Change, PatchFacts, Reference, SeriesFacts
from patchscope.ingest.series import Series
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX

HOTPLUG_H = "include/linux/memory_hotplug.h"
HOTPLUG_C = "mm/memory_hotplug.c"
OLD_ARCH_PARAMS = "(int nid, u64 start, u64 size, struct vmem_altmap *altmap, bool want_memblock)"
NEW_ARCH_PARAMS = "(int nid, u64 start, u64 size, struct mhp_restrictions *restrictions)"
OLD_PAGES_PARAMS = (
    "(int nid, unsigned long start_pfn, unsigned long nr_pages, "
    "struct vmem_altmap *altmap, bool want_memblock)"
)
NEW_PAGES_PARAMS = (
    "(int nid, unsigned long start_pfn, unsigned long nr_pages, "
    "struct mhp_restrictions *restrictions)"
)
ARCH_FILES = (
    "arch/arm64/mm/mmu.c",
    "arch/ia64/mm/init.c",
    "arch/powerpc/mm/mem.c",
    "arch/s390/mm/init.c",
    "arch/sh/mm/init.c",
    "arch/x86/mm/init_32.c",
    "arch/x86/mm/init_64.c",
)

PATCH_1 = {
    ("prototype", "prototype", "__offline_isolated_pages", HOTPLUG_H),
    ("prototype", "function", "__offline_isolated_pages", "mm/page_alloc.c"),
    ("removed", "function", "offline_isolated_pages", HOTPLUG_C),
    ("removed", "function", "check_pages_isolated", HOTPLUG_C),
    ("body", "function", "offline_isolated_pages_cb", HOTPLUG_C),
    ("body", "function", "check_pages_isolated_cb", HOTPLUG_C),
    ("body", "function", "__offline_pages", HOTPLUG_C),
}
PATCH_2 = {
    *(("prototype", "function", "arch_add_memory", f) for f in ARCH_FILES),
    ("prototype", "function", "add_pages", "arch/x86/mm/init_64.c"),
    ("prototype", "prototype", "arch_add_memory", HOTPLUG_H),
    ("prototype", "prototype", "__add_pages", HOTPLUG_H),
    ("prototype", "function", "add_pages", HOTPLUG_H),  # the static inline one
    ("prototype", "prototype", "add_pages", HOTPLUG_H),  # the CONFIG_ARCH_HAS_ADD_PAGES one
    ("prototype", "function", "__add_pages", HOTPLUG_C),
    ("added", "macro", "MHP_MEMBLOCK_API", HOTPLUG_H),
    ("added", "struct", "mhp_restrictions", HOTPLUG_H),
    ("added", "field", "mhp_restrictions.flags", HOTPLUG_H),
    ("added", "field", "mhp_restrictions.altmap", HOTPLUG_H),
    ("body", "function", "devm_memremap_pages", "kernel/memremap.c"),
    ("body", "function", "add_memory_resource", HOTPLUG_C),
}
PATCH_3 = {
    ("added", "macro", "MHP_MEMMAP_FROM_RANGE", HOTPLUG_H),
    ("added", "field", "mhp_restrictions.init", HOTPLUG_H),
    ("added", "field", "mhp_restrictions.constructor", HOTPLUG_H),
    ("body", "struct", "mhp_restrictions", HOTPLUG_H),
    ("added", "prototype", "mark_vmemmap_pages", HOTPLUG_H),
    ("body", "struct", "vmem_altmap", "include/linux/memremap.h"),
    ("prototype", "field", "vmem_altmap.base_pfn", "include/linux/memremap.h"),
    ("added", "macro", "VMEMMAP_PAGE", "include/linux/page-flags.h"),
    ("added", "function", "PageVmemmap", "include/linux/page-flags.h"),
    ("added", "function", "__ClearPageVmemmap", "include/linux/page-flags.h"),
    ("added", "function", "__SetPageVmemmap", "include/linux/page-flags.h"),
    ("added", "function", "vmemmap_get_head", "include/linux/page-flags.h"),
    ("added", "global", "hotplug_vmemmap_enabled", HOTPLUG_C),
    ("added", "function", "init_altmap_memmap", HOTPLUG_C),
    ("added", "function", "check_nr_vmemmap_pages", HOTPLUG_C),
    ("added", "function", "mark_vmemmap_pages", "mm/sparse.c"),
    ("added", "global", "head_vmemmap_page", "mm/sparse.c"),
    ("added", "global", "in_vmemmap_range", "mm/sparse.c"),
    ("added", "function", "vmemmap_dec_and_test", "mm/sparse.c"),
    ("added", "function", "free_deferred_vmemmap_range", "mm/sparse.c"),
    ("body", "function", "vmemmap_populate", "arch/arm64/mm/mmu.c"),
    ("body", "function", "vmemmap_free", "arch/powerpc/mm/init_64.c"),
    ("body", "function", "arch_add_memory", "arch/s390/mm/init.c"),
    ("body", "function", "free_pagetable", "arch/x86/mm/init_64.c"),
    ("body", "function", "balloon_probe", "drivers/hv/hv_balloon.c"),
    ("body", "function", "balloon_init", "drivers/xen/balloon.c"),
    ("body", "function", "isolate_migratepages_block", "mm/compaction.c"),
    ("body", "function", "__add_pages", HOTPLUG_C),
    ("body", "function", "online_pages_range", HOTPLUG_C),
    ("body", "function", "add_memory_resource", HOTPLUG_C),
    ("body", "function", "__offline_pages", HOTPLUG_C),
    ("body", "function", "__init_struct_page_nolru", "mm/page_alloc.c"),
    ("body", "function", "has_unmovable_pages", "mm/page_alloc.c"),
    ("body", "function", "__offline_isolated_pages", "mm/page_alloc.c"),
    ("body", "function", "__first_valid_page", "mm/page_isolation.c"),
    ("body", "function", "__test_page_isolated_in_pageblock", "mm/page_isolation.c"),
    ("body", "function", "__kfree_section_memmap", "mm/sparse.c"),
    ("body", "function", "page_mapping", "mm/util.c"),
}
PATCH_4 = {
    ("renamed", "function", "alloc_section_memmap", "mm/sparse.c"),
    ("renamed", "function", "free_section_memmap", "mm/sparse.c"),
    ("body", "function", "sparse_add_one_section", "mm/sparse.c"),
    ("body", "function", "free_section_usemap", "mm/sparse.c"),
}


@pytest.fixture(scope="module")
def reference() -> Series:
    return load_series(str(REFERENCE_MANIFEST))


@pytest.fixture(scope="module")
def facts(reference: Series) -> SeriesFacts:
    return series_facts(reference)


def touched(patch: PatchFacts) -> set[tuple[str, str, str, str]]:
    return {(c.change, c.kind, c.name, c.file) for c in patch.changes}


def changes(patch: PatchFacts, name: str, file: str | None = None) -> list[Change]:
    return [c for c in patch.changes if c.name == name and file in (None, c.file)]


def refs(facts: SeriesFacts, number: int, side: str, name: str) -> list[Reference]:
    patch = facts.patches[number - 1]
    image = patch.before if side == "before" else patch.after
    return [r for r in image.references if r.name == name]


@pytest.mark.parametrize(("number", "expected"), [(1, PATCH_1), (2, PATCH_2), (3, PATCH_3)])
def test_each_patch_touches_what_a_reviewer_reads(
    facts: SeriesFacts, number: int, expected: set[tuple[str, str, str, str]]
) -> None:
    assert touched(facts.patches[number - 1]) == expected


def test_patch_1_changes_the_return_type_in_header_and_definition(facts: SeriesFacts) -> None:
    found = changes(facts.patches[0], "__offline_isolated_pages")
    assert {(c.file, c.line) for c in found} == {(HOTPLUG_H, 88), ("mm/page_alloc.c", 8482)}
    assert {c.detail for c in found} == {"return type void -> unsigned long"}
    header = next(c for c in found if c.file == HOTPLUG_H)
    assert (
        header.old_signature == "extern void __offline_isolated_pages(unsigned long, unsigned long)"
    )


def test_patch_2_carries_the_new_parameters_to_every_architecture(facts: SeriesFacts) -> None:
    found = changes(facts.patches[1], "arch_add_memory")
    assert {c.file for c in found} == {*ARCH_FILES, HOTPLUG_H}
    assert {c.detail for c in found} == {f"parameters {OLD_ARCH_PARAMS} -> {NEW_ARCH_PARAMS}"}
    for name in ("__add_pages", "add_pages"):
        for c in changes(facts.patches[1], name):
            old, new = OLD_PAGES_PARAMS, NEW_PAGES_PARAMS
            if c.file == HOTPLUG_C:  # the definition calls its parameter phys_start_pfn
                old, new = (p.replace("start_pfn", "phys_start_pfn") for p in (old, new))
            assert c.detail == f"parameters {old} -> {new}"


def test_patch_2_guards_as_the_header_shows_them(facts: SeriesFacts) -> None:
    after = facts.patches[1].after.definitions
    add_pages = {(d.kind, d.guard) for d in after if d.name == "add_pages" and d.file == HOTPLUG_H}
    assert add_pages == {
        ("function", ("!CONFIG_ARCH_HAS_ADD_PAGES",)),
        ("prototype", ("CONFIG_ARCH_HAS_ADD_PAGES",)),
    }
    arm64 = next(
        d for d in after if d.name == "arch_add_memory" and d.file == ARCH_FILES[0] and d.signature
    )
    assert arm64.guard == ("CONFIG_MEMORY_HOTPLUG",)
    assert arm64.signature == f"int arch_add_memory{NEW_ARCH_PARAMS}"


def test_patch_3_adds_the_pointer_fields_and_calls_through_them(facts: SeriesFacts) -> None:
    after = facts.patches[2].after
    calls = {
        (r.via, r.in_function, r.file, r.line) for r in after.references if r.kind == "pointer_call"
    }
    assert ("init", "__add_pages", HOTPLUG_C, 305) in calls
    assert ("constructor", "__add_pages", HOTPLUG_C, 342) in calls
    assigned = {(a.field, a.function, a.file, a.line) for a in after.assignments}
    assert ("init", "init_altmap_memmap", HOTPLUG_C, 1200) in assigned
    assert ("constructor", "mark_vmemmap_pages", HOTPLUG_C, 1201) in assigned


def test_patch_3_definitions_under_sparsemem_vmemmap(facts: SeriesFacts) -> None:
    after = facts.patches[2].after.definitions
    guarded = {d.name for d in after if d.file == "mm/sparse.c" and d.guard}
    assert {"mark_vmemmap_pages", "head_vmemmap_page", "free_deferred_vmemmap_range"} <= guarded
    assert all(
        d.guard == ("CONFIG_SPARSEMEM_VMEMMAP",)
        for d in after
        if d.name == "mark_vmemmap_pages" and d.file == "mm/sparse.c"
    )


def test_patch_3_macro_calls_are_kept_apart(facts: SeriesFacts) -> None:
    warn = refs(facts, 3, "after", "WARN_ON")
    assert [(r.kind, r.in_function) for r in warn] == [("macro_call", "mark_vmemmap_pages")]
    assert {r.kind for r in refs(facts, 3, "after", "PageVmemmap")} == {"call"}


def test_patch_4_renames_both_configuration_variants(facts: SeriesFacts) -> None:
    patch = facts.patches[3]
    assert touched(patch) == PATCH_4
    renamed = sorted((c.line, c.old_name, c.name) for c in patch.changes if c.change == "renamed")
    assert renamed == [
        (679, "kmalloc_section_memmap", "alloc_section_memmap"),
        (685, "__kfree_section_memmap", "free_section_memmap"),
        (735, "kmalloc_section_memmap", "alloc_section_memmap"),
        (741, "__kfree_section_memmap", "free_section_memmap"),
    ]


def test_patch_4_call_sites_before_and_after(facts: SeriesFacts) -> None:
    sites = [
        (806, "sparse_add_one_section", "kmalloc_section_memmap", "alloc_section_memmap"),
        (811, "sparse_add_one_section", "__kfree_section_memmap", "free_section_memmap"),
        (833, "sparse_add_one_section", "__kfree_section_memmap", "free_section_memmap"),
        (884, "free_section_usemap", "__kfree_section_memmap", "free_section_memmap"),
    ]
    old_names = ("kmalloc_section_memmap", "__kfree_section_memmap")
    new_names = ("alloc_section_memmap", "free_section_memmap")
    for side, pick in (("before", 2), ("after", 3)):
        found = {
            (r.line, r.in_function, r.name)
            for name in old_names + new_names
            for r in refs(facts, 4, side, name)
            if r.kind == "call"
        }
        assert found == {(s[0], s[1], s[pick]) for s in sites}


# -- perturbed twins: the same thread with one line changed ---------------------------------


def perturbed(tmp_path: Path, old: str, new: str) -> SeriesFacts:
    text = REFERENCE_MBOX.read_text()
    assert text.count(old) == 1
    mbox = tmp_path / "perturbed.mbox"
    mbox.write_text(text.replace(old, new))
    return series_facts(load_series(str(mbox)))


def test_a_kept_return_type_is_no_prototype_change(tmp_path: Path) -> None:
    facts = perturbed(tmp_path, "-void\n+unsigned long\n __offline", "-void\n+void\n __offline")
    found = changes(facts.patches[0], "__offline_isolated_pages", "mm/page_alloc.c")
    assert [c.change for c in found] == ["body"]


def test_a_changed_return_type_is_no_rename(tmp_path: Path) -> None:
    head = (
        "+static void free_section_memmap(struct page *memmap,\n \t\tstruct vmem_altmap *altmap)\n"
    )
    facts = perturbed(
        tmp_path,
        head + " {\n \tunsigned long start",
        head.replace("void", "long") + " {\n \tunsigned long start",
    )
    found = {(c.change, c.name, c.line) for c in facts.patches[3].changes if c.line in (685, 741)}
    assert found == {
        ("removed", "__kfree_section_memmap", 685),
        ("added", "free_section_memmap", 685),
        ("renamed", "free_section_memmap", 741),
    }


def test_a_call_site_left_behind_keeps_the_old_name(tmp_path: Path) -> None:
    facts = perturbed(
        tmp_path,
        "+\tmemmap = alloc_section_memmap(section_nr",
        "+\tmemmap = kmalloc_section_memmap(section_nr",
    )
    left = refs(facts, 4, "after", "kmalloc_section_memmap")
    assert [(r.kind, r.line, r.in_function) for r in left] == [
        ("call", 806, "sparse_add_one_section")
    ]
