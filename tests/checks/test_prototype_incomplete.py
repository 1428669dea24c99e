"""prototype-incomplete: a prototype change the series does not carry everywhere."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks import prototype_incomplete
from patchscope.code.tree import open_tree, tree_facts
from tests.checks.kit import Made, keys, make_series

HEADER = "include/linux/hpadd.h"
X86 = "arch/x86/mm/init.c"
ARM64 = "arch/arm64/mm/mmu.c"
CORE = "mm/hpadd.c"
OLD = "int arch_hp_add(int nid, u64 start, u64 size, bool api)"
NEW = "int arch_hp_add(int nid, u64 start, struct hp_r *r)"


def _arch(signature: str, arg: str) -> str:
    return f"#include <linux/hpadd.h>\n\n{signature}\n{{\n\treturn {arg} ? nid : 0;\n}}\n"


def _core(call: str, first: str = "int ret;") -> str:
    return (
        "#include <linux/hpadd.h>\n\nint hp_add(int nid, u64 start, u64 size)\n{\n"
        f"\tstruct hp_r r = {{ 0 }};\n\t{first}\n\n\tret = {call};\n\treturn ret;\n}}\n"
    )


BASE = {
    HEADER: f"#ifndef HPADD_H\n#define HPADD_H\nstruct hp_r;\n{OLD};\n#endif\n",
    X86: _arch(OLD, "api"),
    ARM64: _arch(OLD, "api"),
    CORE: _core("arch_hp_add(nid, start, size, true)"),
}


def _series(tmp_path: Path, *, call: str, arm64: bool) -> Made:
    patch = {
        HEADER: f"#ifndef HPADD_H\n#define HPADD_H\nstruct hp_r;\n{NEW};\n#endif\n",
        X86: _arch(NEW, "r"),
        CORE: _core(call, first="int ret = 0;"),
    }
    if arm64:
        patch[ARM64] = _arch(NEW, "r")
    return make_series(tmp_path, BASE, [("mm: pass hot-add restrictions", patch)])


def test_call_left_with_the_old_arguments(tmp_path: Path) -> None:
    made = _series(tmp_path, call="arch_hp_add(nid, start, size, true)", arm64=True)
    found = prototype_incomplete.check(made.series, made.facts, None)
    assert keys(found) == {("prototype-incomplete", 1, CORE, "arch_hp_add")}
    assert found[0].evidence[1] == f"calls: {CORE}:8: ret = arch_hp_add(nid, start, size, true);"


def test_every_site_carried(tmp_path: Path) -> None:
    made = _series(tmp_path, call="arch_hp_add(nid, start, &r)", arm64=True)
    assert prototype_incomplete.check(made.series, made.facts, None) == []


def _with_tree(made: Made) -> list:
    tree = tree_facts(made.series, made.facts, open_tree(f"git:{made.repo}@{made.base}"))
    return prototype_incomplete.check(made.series, made.facts, tree)


def test_tree_names_the_architecture_the_series_forgot(tmp_path: Path) -> None:
    made = _series(tmp_path, call="arch_hp_add(nid, start, &r)", arm64=False)
    assert prototype_incomplete.check(made.series, made.facts, None) == []
    found = _with_tree(made)
    assert keys(found) == {("prototype-incomplete", 1, ARM64, "arch_hp_add")}
    assert found[0].evidence[1].endswith("(a file the series does not touch)")


def test_tree_with_every_architecture_carried(tmp_path: Path) -> None:
    made = _series(tmp_path, call="arch_hp_add(nid, start, &r)", arm64=True)
    assert _with_tree(made) == []
