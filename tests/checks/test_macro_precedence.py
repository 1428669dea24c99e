"""macro-precedence on self-written series: unparenthesised bodies where C regroups them."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks import macro_precedence
from tests.checks.kit import keys, make_series

HEADER = "include/linux/hpflags.h"
USER = "mm/hpflags.c"


def _series(tmp_path: Path, define: str, uses: str) -> list:
    base = {
        HEADER: "#ifndef HPFLAGS_H\n#define HPFLAGS_H\n#endif\n",
        USER: "#include <linux/hpflags.h>\n\nunsigned long hp_flags;\n",
    }
    patch = {
        HEADER: f"#ifndef HPFLAGS_H\n#define HPFLAGS_H\n{define}\n#endif\n",
        USER: "#include <linux/hpflags.h>\n\nunsigned long hp_flags;\n\n"
        f"void hp_update(unsigned long a)\n{{\n{uses}}}\n",
    }
    made = make_series(tmp_path, base, [("mm: add hot-plug flags", patch)])
    return macro_precedence.check(made.series, made.facts, None)


def test_complement_of_a_shift_is_regrouped(tmp_path: Path) -> None:
    found = _series(tmp_path, "#define HP_ALT 1 << 2", "\thp_flags &= ~HP_ALT;\n")
    assert keys(found) == {("macro-precedence", 1, USER, "HP_ALT")}
    (finding,) = found
    # C binds ~ tighter than <<: the use computes (~1) << 2, the author meant ~(1 << 2)
    assert f"value: {(~1) << 2} (int)" in finding.evidence
    assert f"value meant: {~(1 << 2)} (int)" in finding.evidence
    assert "expands to: ~ 1 << 2" in finding.evidence
    assert (
        finding.line
        == (tmp_path / "repo" / USER).read_text().splitlines().index("\thp_flags &= ~HP_ALT;") + 1
    )


def test_parenthesised_twin_is_clean(tmp_path: Path) -> None:
    assert _series(tmp_path, "#define HP_ALT (1 << 2)", "\thp_flags &= ~HP_ALT;\n") == []


def test_use_that_does_not_regroup_is_clean(tmp_path: Path) -> None:
    uses = "\thp_flags |= HP_ALT;\n\thp_flags = HP_ALT;\n"
    assert _series(tmp_path, "#define HP_ALT 1 << 2", uses) == []


def test_function_like_macro_against_a_variable(tmp_path: Path) -> None:
    """Not computable (a is a variable): reported because the trees differ."""
    found = _series(tmp_path, "#define HP_NEXT(x) x + 1", "\thp_flags = HP_NEXT(a) * 2;\n")
    assert keys(found) == {("macro-precedence", 1, USER, "HP_NEXT")}
    (finding,) = found
    assert "C groups it as: (a + (1 * 2))" in finding.evidence
    assert "meant: ((a + 1) * 2)" in finding.evidence
    assert not any(e.startswith("value") for e in finding.evidence)


def test_reassociation_alone_is_clean(tmp_path: Path) -> None:
    """2 + a + 1 is (2 + a) + 1 against 2 + (a + 1): the same sum."""
    assert _series(tmp_path, "#define HP_NEXT(x) x + 1", "\thp_flags = 2 + HP_NEXT(a);\n") == []


def test_use_in_another_macro(tmp_path: Path) -> None:
    define = "#define HP_ALT 1 << 2\n#define HP_TWICE HP_ALT * 2"
    found = _series(tmp_path, define, "\thp_flags = HP_TWICE;\n")
    assert ("macro-precedence", 1, HEADER, "HP_ALT") in keys(found)
    alt = next(f for f in found if f.entity == "HP_ALT")
    assert f"value: {1 << (2 * 2)} (int)" in alt.evidence
    assert f"value meant: {(1 << 2) * 2} (int)" in alt.evidence


def test_counterexample_for_a_compound_assignment(tmp_path: Path) -> None:
    """hp_flags &= ~HP_ALT: the solver finds flags where (~1) << 2 and ~(1 << 2) clear
    different bits; checked here by computing both masks on those flags."""
    found = _series(tmp_path, "#define HP_ALT 1 << 2", "\thp_flags &= ~HP_ALT;\n")
    (line,) = [e for e in found[0].evidence if e.startswith("counterexample: ")]
    flags = int(line.split("hp_flags = ")[1].split(":")[0].split()[0])
    mask = (1 << 64) - 1
    assert flags & ((~1 << 2) & mask) != flags & (~(1 << 2) & mask)
