"""Kernel hunks that once gave entities that are not C names (tests/fixtures/entities/).

The expected names are read off the patches: the hunks' hints and their changed lines.
"""

from __future__ import annotations

from pathlib import Path

from patchscope.code.facts import series_facts
from patchscope.ingest.assemble import assemble
from patchscope.ingest.mail import parse_mail
from tests.code.test_extract import image_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "entities"


def _changes(text: str) -> set[tuple[str, str, str]]:
    series = assemble([parse_mail(text.encode(), "fixture")], source="fixture")
    facts = series_facts(series)
    return {(c.kind, c.name, c.change) for p in facts.patches for c in p.changes}


def test_else_if_past_an_unseen_block_is_no_function() -> None:
    """`} else if (...) {` closes a block the hunk never opened: still zap_pte_range's body."""
    text = (FIXTURES / "zap-pte-range-else-if.patch").read_text()
    assert _changes(text) == {("function", "zap_pte_range", "body")}
    renamed = text.replace("zap_pte_range(", "unmap_pte_range(")  # the hints name the function
    assert _changes(renamed) == {("function", "unmap_pte_range", "body")}


def test_per_cpu_definitions_name_their_variable() -> None:
    text = (FIXTURES / "percpu-boot-pagesets.patch").read_text()
    assert _changes(text) == {
        ("global", "boot_pageset", "prototype"),
        ("global", "boot_zonestats", "prototype"),
    }
    other = text.replace("boot_zonestats", "boot_zone_counters")
    assert ("global", "boot_zone_counters", "prototype") in _changes(other)


def test_a_definer_macro_names_its_last_plain_argument() -> None:
    image = image_of("static DECLARE_BITMAP(node_bits, 64);\nstatic DEFINE_PER_CPU(int, hits);\n")
    assert [(d.kind, d.name) for d in image.definitions] == [
        ("global", "node_bits"),
        ("global", "hits"),
    ]


def test_pointer_return_annotation_keeps_the_header() -> None:
    """`pte_t * __meminit f(...)`: the function is defined, its locals stay locals."""
    lines = "pte_t * __meminit pte_populate(pmd_t *pmd)\n{\n\tvoid *p;\n\n\treturn p;\n}\n"
    image = image_of(lines)
    assert [(d.kind, d.name) for d in image.definitions] == [("function", "pte_populate")]
    bare = image_of(lines.replace("pte_t * __meminit ", "pte_t * "))
    assert [(d.kind, d.name) for d in bare.definitions] == [("function", "pte_populate")]


def test_piece_from_a_label_in_column_0_keeps_locals_local() -> None:
    """A label sits in column 0 at any depth; the declarations after it are a body's."""
    lines = "again:\n\tinit(rss);\n\tdo {\n\t\tpte_t ptent = *pte;\n\t\tstruct page *page;\n"
    image = image_of(lines, section="static unsigned long zap_range(struct mmu_gather *tlb,")
    assert [(d.kind, d.name) for d in image.definitions] == [("function", "zap_range")]
    flat = image_of("pte_t ptent;\nstruct page *page;\n")
    assert {d.name for d in flat.definitions} == {"ptent", "page"}


def test_split_header_type_is_no_global() -> None:
    """A hunk ending on `static noinline void` (the name on the next, unseen line)."""
    image = image_of("\tlocal_irq_restore(flags);\n}\n\nstatic noinline void\n")
    assert all(d.kind != "global" for d in image.definitions)


def test_a_header_whose_type_is_on_the_line_above() -> None:
    """git's hint is the column-0 line `__early_ioremap(...)`, its type on the unseen line
    above: the piece is that function's body, its declarations are locals."""
    body = "{\n\tunsigned long offset;\n\tint i, slot;\n\n\tslot = -1;\n"
    hint = "__early_ioremap(resource_size_t phys_addr, unsigned long size, pgprot_t prot)"
    image = image_of(body, start=103, section=hint)
    assert [(d.kind, d.name, d.signature) for d in image.definitions] == [
        ("function", "__early_ioremap", "")
    ]
    typed = image_of(body, start=103, section=f"void *{hint}")
    assert [(d.kind, d.name) for d in typed.definitions] == [("function", "__early_ioremap")]


def test_a_piece_continuing_an_untyped_header_keeps_its_signature() -> None:
    lines = "\t\t\t\t\t\tunsigned int alloc_flags)\n{\n\tint current_order;\n"
    hint = "__rmqueue_fallback(struct zone *zone, int order, int start_migratetype,"
    image = image_of(lines, start=3034, section=hint)
    assert [(d.kind, d.name, d.signature) for d in image.definitions] == [
        (
            "function",
            "__rmqueue_fallback",
            "__rmqueue_fallback(struct zone *zone, int order, int start_migratetype, "
            "unsigned int alloc_flags)",
        )
    ]
