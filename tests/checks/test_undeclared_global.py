"""undeclared-global: a new non-static variable or function used where no header declares it."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks import undeclared_global
from patchscope.code.tree import open_tree, tree_facts
from tests.checks.kit import keys, make_series

HEADER = "include/linux/hpknob.h"
CORE = "mm/hpknob.c"
DRIVER = "drivers/hp/probe.c"
BASE = {
    HEADER: "#ifndef HPKNOB_H\n#define HPKNOB_H\n#endif\n",
    CORE: "#include <linux/hpknob.h>\n",
    DRIVER: "#include <linux/hpknob.h>\n\nvoid hp_probe(void)\n{\n}\n",
}


def _check(tmp_path: Path, header_adds: str, storage: str = "") -> list:
    patch = {
        CORE: f"#include <linux/hpknob.h>\n\n{storage}int hp_budget = 4;\n\n"
        f"{storage}int hp_take(int n)\n{{\n\treturn hp_budget - n;\n}}\n",
        DRIVER: "#include <linux/hpknob.h>\n\nvoid hp_probe(void)\n{\n"
        "\thp_budget = 8;\n\thp_take(1);\n}\n",
        HEADER: f"#ifndef HPKNOB_H\n#define HPKNOB_H\n{header_adds}#endif\n",
    }
    made = make_series(tmp_path, BASE, [("mm: let drivers set the hot-plug budget", patch)])
    return undeclared_global.check(made.series, made.facts, None)


def test_variable_and_function_without_declarations(tmp_path: Path) -> None:
    assert keys(_check(tmp_path, "")) == {
        ("undeclared-global", 1, DRIVER, "hp_budget"),
        ("undeclared-global", 1, DRIVER, "hp_take"),
    }


def test_header_declarations_make_it_clean(tmp_path: Path) -> None:
    declared = "extern int hp_budget;\nint hp_take(int n);\n"
    assert _check(tmp_path, declared) == []


def test_one_declaration_missing(tmp_path: Path) -> None:
    found = _check(tmp_path, "extern int hp_budget;\n")
    assert keys(found) == {("undeclared-global", 1, DRIVER, "hp_take")}
    assert found[0].evidence == (
        "defined: mm/hpknob.c:5: int hp_take(int n)",
        "used: drivers/hp/probe.c:6: hp_take(1);",
    )


def test_tree_header_declares_the_function(tmp_path: Path) -> None:
    """The base tree's header already declares hp_take: only the variable is missing."""
    base = {**BASE, HEADER: "#ifndef HPKNOB_H\n#define HPKNOB_H\nint hp_take(int n);\n#endif\n"}
    patch = {
        CORE: "#include <linux/hpknob.h>\n\nint hp_budget = 4;\n\n"
        "int hp_take(int n)\n{\n\treturn hp_budget - n;\n}\n",
        DRIVER: "#include <linux/hpknob.h>\n\nvoid hp_probe(void)\n{\n"
        "\thp_budget = 8;\n\thp_take(1);\n}\n",
    }
    made = make_series(tmp_path, base, [("mm: let drivers set the hot-plug budget", patch)])
    without = undeclared_global.check(made.series, made.facts, None)
    assert keys(without) == {
        ("undeclared-global", 1, DRIVER, "hp_budget"),
        ("undeclared-global", 1, DRIVER, "hp_take"),
    }
    tree = tree_facts(made.series, made.facts, open_tree(f"git:{made.repo}@{made.base}"))
    found = undeclared_global.check(made.series, made.facts, tree)
    assert keys(found) == {("undeclared-global", 1, DRIVER, "hp_budget")}
