"""cexpr against gcc: each expression's value and type as a compiled LP64 program prints them."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from patchscope.checks.cexpr import (
    CExprError,
    NotConstant,
    evaluate,
    literal,
    parse,
    tokenize,
    unparse,
)

# Precedence, associativity, conversions, literal types, shifts and casts; no signed overflow.
TABLE = [
    "2 + 3 * 4 - 5",
    "1 << 2 + 3",
    "(1 << 2) + 3",
    "1 | 2 ^ 3 & 4",
    "((1 | 2) ^ 3) & 4",
    "10 - 4 - 3",
    "10 - (4 - 3)",
    "64 / 4 / 2",
    "100 % 7 * 3",
    "5 > 3 == 1",
    "1 < 2 < 3",
    "!0 + !5",
    "~0 + 1",
    "- -3",
    "3 - -2",
    "-7 / 2",
    "-7 % 2",
    "7 % -2",
    "-1 >> 1",
    "0x10 >> 1 << 2",
    "010 + 0x1f",
    "-1 > 0U",
    "-1L > 0U",
    "-1 < 0UL",
    "(long long)-1 < 1UL",
    "~0U",
    "~0UL",
    "~0UL >> 1",
    "~0U + 1",
    "1UL << 63",
    "1ULL << 40",
    "0xffffffff",
    "0xffffffff + 1",
    "0x80000000",
    "0x100000000",
    "2147483648",
    "4294967296",
    "18446744073709551615UL",
    "0x7fffffffffffffff",
    "100000 * 100000L",
    "1 ? 2 : 3UL",
    "0 ? 2 : -3",
    "1 && 0 || 1",
    "0 || 2 && 3",
    "1 ? 2 : 0 ? 3 : 4",
    "(unsigned char)300 + 0",
    "(u32)-1",
    "(u64)1 << 35",
    "(int)0xfffffffffULL",
    "(unsigned long)-1 >> 60",
    "(s8)200 + 1",
    "(unsigned short)-1 * 2",
    "'A' + 1",
    "~(1 << 2)",
    "~1 << 2",
    "12L / 5U",
    "-12 / 5U",
    "1 << 4 >> 2 << 1",
    "3 & 5 == 5",
    "(3 & 5) == 5",
    "6 ^ 3 | 8",
]

_TYPES = (
    'int: "int", unsigned int: "unsigned int", long: "long", '
    'unsigned long: "unsigned long", long long: "long long", '
    'unsigned long long: "unsigned long long"'
)


def _gcc(expressions: list[str], tmp_path: Path) -> list[tuple[int, str]]:
    """(value reduced to 64 bits, type name) of each expression, from a compiled program."""
    lines = [
        "#include <stdio.h>",
        "typedef unsigned int u32; typedef unsigned long long u64; typedef signed char s8;",
        f'#define P(e) printf("%llu %s\\n", (unsigned long long)(e), _Generic((e), {_TYPES}))',
        "int main(void) {",
        *[f"\tP({e});" for e in expressions],
        "\treturn 0;",
        "}",
    ]
    source = tmp_path / "table.c"
    source.write_text("\n".join(lines) + "\n")
    binary = tmp_path / "table"
    subprocess.run(
        ["gcc", "-std=gnu11", "-fwrapv", "-w", "-o", str(binary), str(source)],
        check=True,
        cwd=tmp_path,
    )
    out = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    return [(int(v), t) for v, t in (line.split(" ", 1) for line in out.splitlines())]


@pytest.mark.needs_tool("gcc", apt="gcc")
def test_values_and_types_match_gcc(tmp_path: Path) -> None:
    expected = _gcc(TABLE, tmp_path)
    for text, (value, ctype) in zip(TABLE, expected, strict=True):
        got = evaluate(parse(text))
        assert (got.value & (2**64 - 1), got.ctype.name) == (value, ctype), text


def test_parentheses_change_values_where_precedence_says() -> None:
    """Perturbed twins of the table: regrouping changes the value exactly where C's
    precedence differs from left-to-right reading."""
    assert evaluate(parse("1 << 2 + 3")).value != evaluate(parse("(1 << 2) + 3")).value
    assert evaluate(parse("3 & 5 == 5")).value != evaluate(parse("(3 & 5) == 5")).value
    assert evaluate(parse("10 - 4 - 3")).value != evaluate(parse("10 - (4 - 3)")).value
    assert evaluate(parse("2 + 3 * 4")).value == evaluate(parse("2 + (3 * 4)")).value


def test_literal_types_follow_the_c_table() -> None:
    assert literal("2147483647").ctype.name == "int"
    assert literal("2147483648").ctype.name == "long"
    assert literal("0x80000000").ctype.name == "unsigned int"
    assert literal("0x8000000000000000").ctype.name == "unsigned long"
    assert literal("1ul").ctype.name == "unsigned long"
    assert literal("1LLU").ctype.name == "unsigned long long"
    with pytest.raises(CExprError):
        literal("1lul")


def test_trees_print_with_their_grouping() -> None:
    assert unparse(parse("a + b * c")) == "(a + (b * c))"
    assert unparse(parse("~x << 2")) == "(~x << 2)"
    assert unparse(parse("a ? b : c ? d : e")) == "(a ? b : (c ? d : e))"
    assert unparse(parse("r->init(x, 1)[2]")) == "r->init(x, 1)[2]"
    assert unparse(parse("(unsigned long)x >> 1")) == "((unsigned long)x >> 1)"


@pytest.mark.parametrize(
    "text",
    ["x + 1", "sizeof(struct page) * 2", "f(1)", "1 / 0", "1 << 40", "(pte_t)1"],
)
def test_what_is_not_a_constant(text: str) -> None:
    with pytest.raises(CExprError):
        evaluate(parse(text))


def test_not_constant_is_told_apart_from_bad_syntax() -> None:
    with pytest.raises(NotConstant):
        evaluate(parse("x + 1"))
    with pytest.raises(CExprError) as bad:
        parse("1 +")
    assert not isinstance(bad.value, NotConstant)


def test_tokens_skip_comments_and_keep_operators_whole() -> None:
    assert tokenize("a<<=b /* c */ >> 1UL // d") == ("a", "<<=", "b", ">>", "1UL")


_OPERANDS = ("0", "1", "3", "7", "9", "2U", "5U", "0x1fU", "6UL", "0xffUL", "4L", "1ULL")
_BINARY = ("*", "+", "-", "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&", "^", "|", "&&", "||")


def _random_expression(rng: random.Random, depth: int) -> str:
    """Operators without parentheses between them, so C's precedence decides the grouping."""
    if depth == 0 or rng.random() < 0.25:
        prefix = rng.choice(("", "", "", "~", "!", "-"))
        return prefix + rng.choice(_OPERANDS)
    parts = [_random_expression(rng, depth - 1)]
    for _ in range(rng.randint(1, 3)):
        parts += [rng.choice(_BINARY), _random_expression(rng, depth - 1)]
    text = " ".join(parts)
    if rng.random() < 0.1:
        text = f"{_random_expression(rng, 0)} ? {text} : {_random_expression(rng, 0)}"
    return f"({text})" if rng.random() < 0.3 else text


@pytest.mark.needs_tool("gcc", apt="gcc")
def test_random_unparenthesised_expressions_match_gcc(tmp_path: Path) -> None:
    """Seeded, so a failure names an expression that fails again. Shifts C leaves undefined
    (a count outside the type's width) are skipped: cexpr refuses them, gcc prints anything."""
    rng = random.Random(20190122)
    expressions = [_random_expression(rng, 3) for _ in range(400)]
    compared = 0
    for text, (value, ctype) in zip(expressions, _gcc(expressions, tmp_path), strict=True):
        try:
            got = evaluate(parse(text))
        except NotConstant:
            continue
        assert (got.value & (2**64 - 1), got.ctype.name) == (value, ctype), text
        compared += 1
    assert compared > len(expressions) // 2
