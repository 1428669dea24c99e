"""guard-mismatch: a definition under #ifdef used outside it with no other branch."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks import guard_mismatch
from tests.checks.kit import keys, make_series

HEADER = "include/linux/hpguard.h"
IMPL = "mm/hpguard.c"
USER = "mm/hpuser.c"


def _check(tmp_path: Path, header: str, user_guard: bool = False) -> list:
    base = {
        HEADER: "#ifndef HPGUARD_H\n#define HPGUARD_H\n#endif\n",
        IMPL: "#include <linux/hpguard.h>\n",
        USER: "#include <linux/hpguard.h>\n\nvoid hp_user(void)\n{\n}\n",
    }
    call = "\thp_vmemmap_setup();\n"
    if user_guard:
        call = f"#ifdef CONFIG_HP_VMEMMAP\n{call}#endif\n"
    patch = {
        HEADER: f"#ifndef HPGUARD_H\n#define HPGUARD_H\n{header}#endif\n",
        IMPL: "#include <linux/hpguard.h>\n\n#ifdef CONFIG_HP_VMEMMAP\n"
        "void hp_vmemmap_setup(void)\n{\n}\n#endif\n",
        USER: f"#include <linux/hpguard.h>\n\nvoid hp_user(void)\n{{\n{call}}}\n",
    }
    made = make_series(tmp_path, base, [("mm: set up vmemmap on hot-plug", patch)])
    return guard_mismatch.check(made.series, made.facts, None)


def test_guarded_definition_called_unguarded(tmp_path: Path) -> None:
    found = _check(tmp_path, "void hp_vmemmap_setup(void);\n")
    assert keys(found) == {("guard-mismatch", 1, USER, "hp_vmemmap_setup")}
    assert "nothing defines it under !CONFIG_HP_VMEMMAP" in found[0].message


def test_stub_for_the_other_branch_is_clean(tmp_path: Path) -> None:
    header = (
        "#ifdef CONFIG_HP_VMEMMAP\nvoid hp_vmemmap_setup(void);\n#else\n"
        "static inline void hp_vmemmap_setup(void)\n{\n}\n#endif\n"
    )
    assert _check(tmp_path, header) == []


def test_call_under_the_same_guard_is_clean(tmp_path: Path) -> None:
    assert _check(tmp_path, "void hp_vmemmap_setup(void);\n", user_guard=True) == []
