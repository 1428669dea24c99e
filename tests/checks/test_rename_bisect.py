"""rename-leftover and bisect-order: what later or earlier patches still expect by name."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks import bisect_order, rename_leftover
from patchscope.code.tree import open_tree, tree_facts
from tests.checks.kit import function, keys, make_series

HEADER = "include/linux/hpsec.h"
SPARSE = "mm/hpsec.c"
USER = "mm/hpuse.c"


def _header(name: str) -> str:
    return f"#ifndef HPSEC_H\n#define HPSEC_H\nint {name}(int nr);\n#endif\n"


def _sparse(name: str) -> str:
    return f"#include <linux/hpsec.h>\n\nint {name}(int nr)\n{{\n\treturn nr * 2;\n}}\n"


BASE = {
    HEADER: _header("kmalloc_section"),
    SPARSE: _sparse("kmalloc_section"),
    USER: "#include <linux/hpsec.h>\n\n" + function("hp_use", "return;"),
}


def _renamed(tmp_path: Path, later_call: str) -> list:
    commits = [
        (
            "mm: rename kmalloc_section to alloc_section",
            {HEADER: _header("alloc_section"), SPARSE: _sparse("alloc_section")},
        ),
        (
            "mm: use the section allocator",
            {USER: "#include <linux/hpsec.h>\n\n" + function("hp_use", f"{later_call}(1);")},
        ),
    ]
    made = make_series(tmp_path, BASE, commits)
    return rename_leftover.check(made.series, made.facts, None)


def test_later_patch_calls_the_old_name(tmp_path: Path) -> None:
    found = _renamed(tmp_path, "kmalloc_section")
    assert keys(found) == {("rename-leftover", 2, USER, "kmalloc_section")}
    assert found[0].evidence[0].startswith("patch 1 renames kmalloc_section -> alloc_section")
    assert found[0].evidence[1] == f"still used: {USER}:5: kmalloc_section(1);"


def test_later_patch_calls_the_new_name(tmp_path: Path) -> None:
    assert _renamed(tmp_path, "alloc_section") == []


def _ordered(tmp_path: Path, use_first: bool) -> list:
    provide = (
        "mm: add hp_prepare",
        {SPARSE: _sparse("kmalloc_section") + "\n" + function("hp_prepare", "return;")},
    )
    use = (
        "mm: prepare before use",
        {USER: "#include <linux/hpsec.h>\n\n" + function("hp_use", "hp_prepare();")},
    )
    made = make_series(tmp_path, BASE, [use, provide] if use_first else [provide, use])
    return bisect_order.check(made.series, made.facts, None)


def test_use_before_the_patch_that_adds_it(tmp_path: Path) -> None:
    found = _ordered(tmp_path, use_first=True)
    assert keys(found) == {("bisect-order", 1, USER, "hp_prepare")}
    assert "only patch 2 introduces" in found[0].message


def test_use_after_the_patch_that_adds_it(tmp_path: Path) -> None:
    assert _ordered(tmp_path, use_first=False) == []


def _with_tree(tmp_path: Path, other_call: str) -> list:
    base = {**BASE, "mm/other.c": "#include <linux/hpsec.h>\n\n" + function("hp_other", other_call)}
    commits = [
        (
            "mm: rename kmalloc_section to alloc_section",
            {HEADER: _header("alloc_section"), SPARSE: _sparse("alloc_section")},
        )
    ]
    made = make_series(tmp_path, base, commits)
    tree = tree_facts(made.series, made.facts, open_tree(f"git:{made.repo}@{made.base}"))
    assert rename_leftover.check(made.series, made.facts, None) == []
    return rename_leftover.check(made.series, made.facts, tree)


def test_tree_caller_the_rename_missed(tmp_path: Path) -> None:
    found = _with_tree(tmp_path, "kmalloc_section(2);")
    assert keys(found) == {("rename-leftover", 1, "mm/other.c", "kmalloc_section")}
    assert found[0].evidence[1] == "still used: mm/other.c:5: kmalloc_section(2);"


def test_tree_without_old_callers(tmp_path: Path) -> None:
    assert _with_tree(tmp_path, "return;") == []
