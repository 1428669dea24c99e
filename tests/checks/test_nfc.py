"""claim-mismatch as a semantic rule: series we wrote, each proved, refuted or not proved.

Every counterexample the solver gives is checked here by evaluating both C expressions
in Python at those inputs (C's widths written out), so no test trusts the solver's word.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchscope.checks import claim_mismatch
from patchscope.code.tree import open_tree, tree_facts
from patchscope.findings import Finding
from tests.checks.kit import make_series

FILE = "mm/hpnfc.c"
U64 = (1 << 64) - 1


def _run(tmp_path: Path, message: str, before: str, after: str) -> list[Finding]:
    made = make_series(tmp_path, {FILE: before}, [(message, {FILE: after})])
    return claim_mismatch.check(made.series, made.facts, None)


def _rules(found: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule, f.severity) for f in found)


def _inputs(finding: Finding) -> dict[str, int]:
    line = next(e for e in finding.evidence if e.startswith("counterexample: "))
    return {k: int(v) for k, v in re.findall(r"(\w+) = (-?\d+)", line)}


# --- a rename that inverts the helper and negates every caller ---------------------------

_HELPER_BAD = (
    "static bool hp_range_bad(unsigned long start, unsigned long nr)\n{\n"
    "\treturn start + nr < start || nr == 0;\n}\n"
)
_HELPER_OK = (
    "static bool hp_range_ok(unsigned long start, unsigned long nr)\n{\n"
    "\treturn start + nr >= start && nr != 0;\n}\n"
)


def _callers(test_add: str, test_remove: str) -> str:
    return (
        "\nint hp_add(unsigned long start, unsigned long nr)\n{\n"
        f"\tif ({test_add})\n\t\treturn -22;\n\treturn 0;\n}}\n"
        "\nint hp_remove(unsigned long start, unsigned long nr)\n{\n"
        f"\tif ({test_remove})\n\t\treturn -22;\n\treturn 1;\n}}\n"
    )


RENAME = (
    "mm: rename hp_range_bad to hp_range_ok\n\n"
    "Invert it and also the return value. No functional change intended."
)


def test_inverted_rename_with_every_caller_negated_is_proved(tmp_path: Path) -> None:
    before = _HELPER_BAD + _callers("hp_range_bad(start, nr)", "hp_range_bad(start, nr)")
    after = _HELPER_OK + _callers("!hp_range_ok(start, nr)", "!hp_range_ok(start, nr)")
    found = _run(tmp_path, RENAME, before, after)
    assert _rules(found) == [("nfc-proved", "info")]
    assert "inlined: hp_range_ok(), as the series defines it" in found[0].evidence


def test_inverted_rename_with_one_caller_left_alone_is_refuted(tmp_path: Path) -> None:
    before = _HELPER_BAD + _callers("hp_range_bad(start, nr)", "hp_range_bad(start, nr)")
    after = _HELPER_OK + _callers("!hp_range_ok(start, nr)", "hp_range_ok(start, nr)")
    found = _run(tmp_path, RENAME, before, after)
    (warning,) = [f for f in found if f.severity == "warning"]
    assert warning.rule == "claim-mismatch" and "changes a condition" in warning.message
    line = after.splitlines().index("\tif (hp_range_ok(start, nr))") + 1  # the caller left alone
    assert f"code: {FILE}:{line}: +if (hp_range_ok(start, nr))" in warning.evidence
    assert f"code: {FILE}:{line}: -if (hp_range_bad(start, nr))" in warning.evidence
    x = _inputs(warning)
    start, nr = x["start"], x["nr"]
    bad = (start + nr) & U64 < start or nr == 0
    ok = (start + nr) & U64 >= start and nr != 0
    assert bad != ok  # the untouched caller now tests the opposite: differs everywhere


# --- rewrites of a condition -------------------------------------------------------------


def _guard(cond: str, params: str = "int a, int b") -> str:
    return f"int hp_gate({params})\n{{\n\tif ({cond})\n\t\treturn 1;\n\treturn 0;\n}}\n"


@pytest.mark.parametrize(
    ("old", "new", "params"),
    [
        ("!(a && b)", "!a || !b", "int a, int b"),
        ("!(a || b)", "!a && !b", "int a, int b"),
        ("!(a > 0 || b < 5)", "a <= 0 && b >= 5", "int a, int b"),
        ("!(p && q)", "!p || !q", "struct page *p, struct zone *q"),  # only their truth is read
        ("a > 0 && b < 5", "b < 5 && a > 0", "int a, int b"),  # && reordered, no side effects
    ],
)
def test_equivalent_rewrites_are_proved(tmp_path: Path, old: str, new: str, params: str) -> None:
    found = _run(tmp_path, "mm: simpler test\n\nNo functional change.", *_pair(old, new, params))
    assert _rules(found) == [("nfc-proved", "info")]


def _pair(old: str, new: str, params: str) -> tuple[str, str]:
    return _guard(old, params), _guard(new, params)


def test_de_morgan_done_wrong_is_refuted(tmp_path: Path) -> None:
    found = _run(
        tmp_path,
        "mm: simpler test\n\nNo functional change.",
        *_pair("!(a && b)", "!a && !b", "int a, int b"),
    )
    (warning,) = found
    assert warning.rule == "claim-mismatch"
    x = _inputs(warning)
    assert (not (x["a"] and x["b"])) != ((not x["a"]) and (not x["b"]))


def test_reordered_and_with_a_call_is_not_proved(tmp_path: Path) -> None:
    found = _run(
        tmp_path,
        "mm: cheaper test first\n\nNo functional change.",
        *_pair("hp_ready() && a > 0", "a > 0 && hp_ready()", "int a, int b"),
    )
    assert _rules(found) == [("nfc-not-proved", "info")]
    assert "calls hp_ready()" in found[0].evidence[1]


def test_a_real_change_is_refuted_with_a_counterexample(tmp_path: Path) -> None:
    params = "unsigned long pfn, unsigned long nr, unsigned long end"
    found = _run(
        tmp_path,
        "mm: tidy hp_gate\n\nNo functional change.",
        *_pair("pfn + nr > end", "pfn + nr >= end", params),
    )
    (warning,) = found
    assert warning.severity == "warning" and "changes a condition" in warning.message
    x = _inputs(warning)
    total = (x["pfn"] + x["nr"]) & U64
    assert (total > x["end"]) != (total >= x["end"])


# --- macros: the patch's own, and the kernel facts --------------------------------------


def _flags(header: str, expr: str) -> str:
    return f"{header}\nunsigned long hp_clear(unsigned long flags)\n{{\n\treturn {expr};\n}}\n"


def test_unparenthesised_macro_in_a_negation_is_refuted(tmp_path: Path) -> None:
    before = _flags("#define HP_A 1\n#define HP_B 2\n", "flags & ~(HP_A | HP_B)")
    after = _flags("#define HP_A 1\n#define HP_B 2\n#define HP_AB HP_A | HP_B\n", "flags & ~HP_AB")
    found = _run(tmp_path, "mm: name the pair of flags\n\nNo functional change.", before, after)
    (warning,) = found
    assert "changes a returned value" in warning.message
    flags = _inputs(warning)["flags"]
    # C reads ~HP_A | HP_B: the complement binds first
    assert flags & ~(1 | 2) & U64 != flags & ((~1 | 2) & U64)


def test_parenthesised_macro_in_a_negation_is_proved(tmp_path: Path) -> None:
    before = _flags("#define HP_A 1\n#define HP_B 2\n", "flags & ~(HP_A | HP_B)")
    after = _flags(
        "#define HP_A 1\n#define HP_B 2\n#define HP_AB (HP_A | HP_B)\n", "flags & ~HP_AB"
    )
    found = _run(tmp_path, "mm: name the pair of flags\n\nNo functional change.", before, after)
    assert _rules(found) == [("nfc-proved", "info")]


def _pages(expr: str) -> str:
    return (
        "unsigned long hp_next(unsigned long pfn, unsigned long end_pfn)\n{\n"
        f"\treturn min(end_pfn - pfn, {expr});\n}}\n"
    )


def test_section_alignment_rewrite_is_proved_from_the_kernel_facts(tmp_path: Path) -> None:
    before = _pages("-(pfn | PAGE_SECTION_MASK)")
    after = _pages("SECTION_ALIGN_UP(pfn + 1) - pfn")
    found = _run(tmp_path, "mm: clean up hp_next", before, after)
    assert _rules(found) == [("nfc-proved", "info")]
    cited = [e for e in found[0].evidence if e.startswith("definition: ")]
    assert "definition: SECTION_ALIGN_UP from include/linux/mmzone.h" in cited


def test_section_alignment_off_by_one_is_refuted(tmp_path: Path) -> None:
    before = _pages("-(pfn | PAGE_SECTION_MASK)")
    after = _pages("SECTION_ALIGN_UP(pfn) - pfn")
    (warning,) = _run(tmp_path, "mm: clean up hp_next", before, after)
    pfn = _inputs(warning)["pfn"]
    per_section = 1 << (27 - 12)  # x86_64: SECTION_SIZE_BITS 27, PAGE_SHIFT 12
    mask = ~(per_section - 1) & U64
    old = -(pfn | mask) & U64
    new = (((pfn + per_section - 1) & mask) - pfn) & U64
    assert old != new
    assert warning.entity == "min"


def test_a_do_while_zero_macro_turned_static_inline_is_proved(tmp_path: Path) -> None:
    before = "#define hp_putback(p)\tdo {} while (0)\n"
    after = "static inline void hp_putback(struct page *page)\n{\n}\n"
    found = _run(tmp_path, "mm: static inline\n\nNo functional change.", before, after)
    assert _rules(found) == [("nfc-proved", "info")]
    assert "a macro made a function: nothing  vs  nothing: proved" in found[0].evidence[1]


@pytest.mark.parametrize(("body", "outcome"), [("(x) + 1", "proved"), ("x + 2", "refuted")])
def test_a_value_macro_turned_static_inline(tmp_path: Path, body: str, outcome: str) -> None:
    before = "#define hp_next(x)\t((x) + 1)\n"
    after = f"static inline unsigned long hp_next(unsigned long x)\n{{\n\treturn {body};\n}}\n"
    found = _run(tmp_path, "mm: static inline\n\nNo functional change.", before, after)
    if outcome == "proved":
        assert _rules(found) == [("nfc-proved", "info")]
        assert (
            "assuming: callers pass arguments of the function's parameter types"
            in found[0].evidence
        )
    else:
        (warning,) = found
        x = _inputs(warning)["x"]
        assert (x + 1) & U64 != (x + 2) & U64


_WALK = (
    "int hp_walk(int n)\n{{\n\tint left = {init};\n\tif ({cond})\n\t\treturn 1;\n\treturn 0;\n}}\n"
)


def test_a_local_the_patch_assigns_differently_is_substituted(tmp_path: Path) -> None:
    """left = n - 1 with left >= 0 is left = n with left > 0: the use is proved, and the
    changed value of left alone is no longer refuted (uses the hunk does not show decide)."""
    before = _WALK.format(init="n", cond="left > 0")
    after = _WALK.format(init="n - 1", cond="left >= 0")
    found = _run(tmp_path, "mm: clean up hp_walk", before, after)
    assert _rules(found) == [("nfc-not-proved", "info"), ("nfc-proved", "info")]
    proved = next(f for f in found if f.rule == "nfc-proved")
    assert any("with left = (int)n, left = (int)(n - 1)" in e for e in proved.evidence)


def test_a_local_changed_with_its_use_left_alone_is_refuted(tmp_path: Path) -> None:
    before = _WALK.format(init="n", cond="left > 0")
    after = _WALK.format(init="n - 1", cond="left > 0")
    (warning,) = _run(tmp_path, "mm: clean up hp_walk", before, after)
    assert warning.rule == "claim-mismatch" and "changes a value" in warning.message


def test_a_local_assigned_from_a_call_is_not_proved(tmp_path: Path) -> None:
    before = _WALK.format(init="hp_count(n)", cond="left > 0")
    after = _WALK.format(init="hp_count(n) - 1", cond="left >= 0")
    found = _run(tmp_path, "mm: clean up hp_walk", before, after)
    assert _rules(found) == [("nfc-not-proved", "info")]
    assert any("calls hp_count()" in e for e in found[0].evidence)


# --- what only the tree shows ------------------------------------------------------------

_FAR = "#define HP_SHIFT 4\nstatic unsigned long hp_base;\n" + "".join(
    f"static int hp_pad{i};\n" for i in range(12)
)


@pytest.mark.parametrize(
    ("new", "outcome"), [("hp_base * 16", "proved"), ("hp_base * 8", "refuted")]
)
def test_macros_and_types_far_from_the_hunk_come_from_the_tree(
    tmp_path: Path, new: str, outcome: str
) -> None:
    body = "\nunsigned long hp_scaled(void)\n{{\n\treturn {};\n}}\n"
    made = make_series(
        tmp_path,
        {FILE: _FAR + body.format("hp_base << HP_SHIFT")},
        [("mm: spell out the shift\n\nNo functional change.", {FILE: _FAR + body.format(new)})],
    )
    alone = claim_mismatch.check(made.series, made.facts, None)
    assert _rules(alone) == [("nfc-not-proved", "info")]  # the hunk shows neither
    tree = tree_facts(made.series, made.facts, open_tree(f"git:{made.repo}@{made.base}"))
    found = claim_mismatch.check(made.series, made.facts, tree)
    if outcome == "proved":
        assert _rules(found) == [("nfc-proved", "info")]
    else:
        (warning,) = found
        base = _inputs(warning)["hp_base"]
        assert (base << 4) & U64 != (base * 8) & U64


def test_an_assigned_call_names_the_call_whose_argument_differs(tmp_path: Path) -> None:
    """`err = f(a)` -> `err = f(b)`: the evidence says the difference is in f()'s arguments,
    not in a value assigned to err (as read on a corpus series' sparse_add_section())."""
    before = (
        "int hp_add(unsigned long n)\n{\n\tint err;\n\n\terr = hp_section(n);\n\treturn err;\n}\n"
    )
    after = before.replace("hp_section(n)", "hp_section(n + 0)")
    (proved,) = _run(tmp_path, "mm: clean up hp_add", before, after)
    assert proved.rule == "nfc-proved"
    assert "the value assigned to err, in the arguments of hp_section()" in proved.evidence[1]
