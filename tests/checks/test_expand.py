"""Macro expansion against gcc's own preprocessor (gcc -E) on the same definitions."""

from __future__ import annotations

import re
import subprocess

import pytest

from patchscope.checks.cexpr import CExprError, tokenize
from patchscope.checks.expand import Macro, expand, macro_from_signature, parenthesised

DEFINES = [
    "#define SHIFT 1 << 2",
    "#define SQ(x) x * x",
    "#define TWICE SHIFT + SHIFT",
    "#define CAT(a, b) a ## b",
    "#define STR(x) #x",
    "#define SELF SELF + 1",
    "#define APPLY(f, v) f(v)",
    "#define FIRST(a, ...) a",
    "#define REST(a, ...) (__VA_ARGS__)",
    "#define NEST(x) SQ(x) + TWICE",
    "#define EMPTY() 7",
]
USES = [
    "SHIFT * 2",
    "SQ(1 + 2)",
    "TWICE",
    "CAT(12, 34)",
    "CAT(SH, IFT)",
    "STR(a + b)",
    "SELF",
    "APPLY(SQ, 3)",
    "FIRST(1, 2, 3)",
    "REST(1, 2, 3)",
    "NEST(y)",
    "SQ",
    "EMPTY()",
    "SQ((a, b))",
]


def _macros() -> dict[str, Macro]:
    found = {}
    for line in DEFINES:
        body = re.fullmatch(r"#define \w+(?:\([^)]*\))? (.*)", line)
        assert body is not None
        macro = macro_from_signature(line, body.group(1))
        assert macro is not None
        found[macro.name] = macro
    return found


@pytest.mark.needs_tool("gcc", apt="gcc")
@pytest.mark.parametrize("use", USES)
def test_expansion_matches_gcc(use: str) -> None:
    source = "\n".join([*DEFINES, use]) + "\n"
    done = subprocess.run(
        ["gcc", "-E", "-P", "-x", "c", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    assert expand(tokenize(use), _macros()) == tokenize(done.stdout)


def test_parenthesised_body_is_what_the_author_meant() -> None:
    meant = {**_macros(), "SHIFT": parenthesised(_macros()["SHIFT"])}
    assert expand(tokenize("~SHIFT"), meant) == tokenize("~(1 << 2)")
    assert expand(tokenize("~SHIFT"), _macros()) == tokenize("~1 << 2")


def test_wrong_argument_count_is_refused() -> None:
    with pytest.raises(CExprError, match="SQ takes 1 arguments, given 2"):
        expand(tokenize("SQ(1, 2)"), _macros())


def test_signature_forms() -> None:
    assert macro_from_signature("#define A(x, y) x", "x") == Macro("A", ("x", "y"), ("x",))
    assert macro_from_signature("#define B (x)", "(x)") == Macro("B", None, ("(", "x", ")"))
    assert macro_from_signature("int f(void)", "") is None
