"""Sites of touched functions across the whole tree, and which carry a changed prototype."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from patchscope.code.callers import (
    Shape,
    Site,
    new_prototypes,
    prototype_sites_among,
    signature_shape,
    sites,
    touched_functions,
)
from patchscope.code.model import SeriesFacts
from patchscope.code.place import Placement, place, place_series
from patchscope.code.tree import Tree, open_tree
from patchscope.ingest.series import Series
from patchscope.pipeline import load_series
from tests.code.treeseries import BASE, FACTS, NEW_SIGNATURE, TreeSeries, make_tree_series
from tests.conftest import git


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("callers"))


@pytest.fixture(scope="module")
def series(made: TreeSeries) -> Series:
    return load_series(str(made.mbox))


def _line_of(path: str, needle: str) -> int:
    """Where the fixture file holds `needle`, counted from the file itself."""
    lines = (BASE / path).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def _sites(made: TreeSeries, series: Series, rev: str = "main") -> tuple[Site, ...]:
    tree = open_tree(f"git:{made.repo}@{rev}")
    return sites(touched_functions(FACTS), tree, place_series(series, tree), {})


def prototype_sites(facts: SeriesFacts, tree: Tree, placement: Placement) -> tuple[Site, ...]:
    shapes = new_prototypes(facts)
    return prototype_sites_among(sites((), tree, placement, shapes), shapes)


def _prototypes(made: TreeSeries, series: Series, facts: SeriesFacts, rev: str) -> list[Site]:
    tree = open_tree(f"git:{made.repo}@{rev}")
    return list(prototype_sites(facts, tree, place_series(series, tree)))


def _tree_with(tmp_path: Path, path: str, text: str) -> Tree:
    """A directory tree holding one file."""
    (tmp_path / "t" / path).parent.mkdir(parents=True)
    (tmp_path / "t" / path).write_text(text)
    return open_tree(str(tmp_path / "t"))


def test_touched_functions_are_read_from_the_changes() -> None:
    assert touched_functions(FACTS) == ("__add_section", "add_memory_resource", "arch_add_memory")
    renamed = dataclasses.replace(
        FACTS.patches[1].changes[0], change="renamed", name="add_one", old_name="__add_section"
    )
    facts = SeriesFacts((dataclasses.replace(FACTS.patches[1], changes=(renamed,)),))
    assert touched_functions(facts) == ("__add_section", "add_one")


def test_callers_outside_the_series_are_found(made: TreeSeries, series: Series) -> None:
    sites = _sites(made, series)
    outside = {(s.name, s.kind, s.file, s.line, s.function) for s in sites if not s.in_series}
    probe = "drivers/base/memory.c"
    assert (
        "add_memory_resource",
        "call",
        probe,
        _line_of(probe, "return add_memory_resource("),
        "probe_store",
    ) in outside
    arm64 = "arch/arm64/mm/mmu.c"
    assert (
        "arch_add_memory",
        "definition",
        arm64,
        _line_of(arm64, "int arch_add_memory("),
        "arch_add_memory",
    ) in outside
    # the mention in a comment is a reference, not a call
    comment = _line_of(probe, "/* add_memory_resource()")
    assert [s.kind for s in sites if s.file == probe and s.line == comment] == ["reference"]
    assert all(s.file != "MAINTAINERS" for s in sites)


def test_every_grep_hit_becomes_a_site(made: TreeSeries, series: Series) -> None:
    """Files the series does not touch: one site per whole-word hit of git grep."""
    out = git(
        made.repo,
        "grep",
        "-o",
        "-n",
        "-w",
        "-e",
        "arch_add_memory",
        "-e",
        "add_memory_resource",
        "-e",
        "__add_section",
        "main",
        "--",
        "*.c",
        "*.h",
    )
    touched = {"arch/x86/mm/init_64.c", "include/linux/memory_hotplug.h", "mm/memory_hotplug.c"}
    expected = sorted(
        (path, int(line), word)
        for _, path, line, word in (hit.split(":") for hit in out.splitlines())
        if path not in touched
    )
    got = sorted((s.file, s.line, s.name) for s in _sites(made, series) if not s.in_series)
    assert got == expected


def test_sites_in_touched_files_are_read_after_the_series(made: TreeSeries, series: Series) -> None:
    sites = _sites(made, series)
    calls = [s for s in sites if s.kind == "call" and s.name == "arch_add_memory"]
    assert [(c.file, c.function, c.text) for c in calls] == [
        (
            "mm/memory_hotplug.c",
            "add_memory_resource",
            "ret = arch_add_memory(nid, start, size, &restrictions);",
        )
    ]


def test_prototype_sites_name_the_forgotten_definition(made: TreeSeries, series: Series) -> None:
    sites = _prototypes(made, series, FACTS, "main")
    assert {(s.file, s.kind, s.carries) for s in sites} == {
        ("include/linux/memory_hotplug.h", "declaration", True),
        ("arch/x86/mm/init_64.c", "definition", True),
        ("arch/arm64/mm/mmu.c", "definition", False),
        ("mm/memory_hotplug.c", "call", True),
    }


def test_before_the_series_no_site_carries_the_new_prototype(
    made: TreeSeries, series: Series
) -> None:
    """Perturbed: the same question asked of the base alone (no patch placed)."""
    tree = open_tree(f"git:{made.repo}@main")
    unplaced = place([], tree.read)
    sites = prototype_sites(FACTS, tree, unplaced)
    assert len(sites) == 4
    assert not any(s.carries for s in sites)


def test_a_call_with_the_old_arity_does_not_carry(tmp_path: Path) -> None:
    tree = _tree_with(
        tmp_path,
        "mm/x.c",
        "void g(void)\n{\n\tarch_add_memory(1, 2, 3, NULL, true);\n"
        "\tarch_add_memory(1, 2, 3, &r);\n}\n",
    )
    sites = prototype_sites(FACTS, tree, place([], tree.read))
    assert [(s.line, s.kind, s.function, s.carries) for s in sites] == [
        (3, "call", "g", False),
        (4, "call", "g", True),
    ]


def test_signature_shape_leaves_out_names_and_storage() -> None:
    shape = signature_shape(NEW_SIGNATURE, "arch_add_memory")
    assert shape == Shape("int", ("int", "u64", "u64", "struct mhp_restrictions*"), False)
    renamed = "static inline int arch_add_memory(int n, u64 s, u64 z, struct mhp_restrictions *r)"
    assert signature_shape(renamed, "arch_add_memory") == shape
    assert signature_shape("struct page *alloc(void)", "alloc") == Shape("struct page*", (), False)
    assert signature_shape("int printk(const char *fmt, ...)", "printk") == Shape(
        "int", ("const char*",), True
    )
    assert signature_shape("long arch_add_memory(int nid)", "arch_add_memory") != shape
    assert signature_shape("int other(int nid)", "arch_add_memory") is None


def test_enclosing_function_where_tree_sitter_loses_the_structure(tmp_path: Path) -> None:
    tree = _tree_with(
        tmp_path,
        "mm/s.c",
        "SYSCALL_DEFINE2(memfd, const char __user *, uname, unsigned int, flags)\n{\n"
        "\treturn add_memory_resource(0, 0, 0);\n}\n",
    )
    (site,) = sites(["add_memory_resource"], tree, place([], tree.read), {})
    assert (site.kind, site.line, site.function) == ("call", 3, "SYSCALL_DEFINE2")


def test_a_line_that_is_not_utf8_is_read_alike_from_both_trees(tmp_path: Path) -> None:
    repo = tmp_path / "latin"
    (repo / "mm").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "mm" / "old.c").write_bytes(b"void f(void)\n{\n\t/* Jos\xe9 */ target(1);\n}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "latin-1")
    found = []
    for spec in (f"git:{repo}@main", str(repo)):
        tree = open_tree(spec)
        found.append(sites(["target"], tree, place([], tree.read), {}))
    assert found[0] == found[1]
    assert [(s.kind, s.line, s.function) for s in found[0]] == [("call", 3, "f")]


def test_each_site_is_read_from_the_definition_around_it(tmp_path: Path) -> None:
    # stretches end at column-0 closing braces; the one that opens #ifdef without its
    # #endif does not parse alone, so the file is parsed whole for line 8
    tree = _tree_with(
        tmp_path,
        "mm/m.c",
        "static const struct ops o = {\n\t.fn = target,\n};\n"
        "int target(int a);\n"
        "#ifdef CONFIG_X\n"
        "void one(void)\n{\n\ttarget(1);\n}\n"
        "void two(void)\n{\n\tint x = target(2) + target(3);\n}\n"
        "#endif\n"
        "int target(int a)\n{\n\treturn a;\n}\n"
        "void three(void)\n{\n\tif (x)\n\t\ttarget(4);\n}\n",
    )
    found = sites(["target"], tree, place([], tree.read), {"target": Shape("int", ("int",), False)})
    assert [(s.line, s.kind, s.function, s.carries) for s in found] == [
        (2, "reference", None, None),
        (4, "declaration", None, True),
        (8, "call", "one", True),
        (12, "call", "two", True),
        (12, "call", "two", True),
        (15, "definition", "target", True),
        (22, "call", "three", True),
    ]
