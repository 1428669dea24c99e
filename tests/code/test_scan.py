"""Preprocessor guards and the shape of partial fragments, read by hand."""

from __future__ import annotations

from patchscope.code.scan import guards, shape

IFDEF_ELSE = [
    "#ifdef CONFIG_A",  # 0
    "int a;",  # 1
    "#else",  # 2
    "int b;",  # 3
    "#endif",  # 4
    "int c;",  # 5
]


def test_ifdef_else_pair() -> None:
    assert guards(IFDEF_ELSE) == (
        (),
        ("CONFIG_A",),
        ("CONFIG_A",),
        ("!CONFIG_A",),
        ("!CONFIG_A",),
        (),
    )


def test_twin_ifndef_else_pair_is_the_other_way_round() -> None:
    lines = ["#ifndef CONFIG_A", *IFDEF_ELSE[1:]]
    assert guards(lines)[1] == ("!CONFIG_A",)
    assert guards(lines)[3] == ("CONFIG_A",)


def test_nesting_expressions_and_elif() -> None:
    lines = [
        "#if defined(CONFIG_A) && CONFIG_B > 1 /* why */",
        "#ifdef CONFIG_C",
        "int a;",
        "#elif X",
        "int b;",
        "#endif",
        "#endif",
    ]
    found = guards(lines)
    assert found[2] == ("defined(CONFIG_A) && CONFIG_B > 1", "CONFIG_C")
    assert found[4] == ("defined(CONFIG_A) && CONFIG_B > 1", "X")
    assert found[6] == ("defined(CONFIG_A) && CONFIG_B > 1",)


def test_continued_condition_and_unseen_if() -> None:
    lines = ["#endif", "#if A && \\", "    B", "int a;", "#else", "int b;", "#endif"]
    found = guards(lines)
    assert found[3] == ("A && B",)
    assert found[5] == ("!(A && B)",)


def test_include_guard_is_not_reported() -> None:
    lines = ["#ifndef _LINUX_X_H", "#define _LINUX_X_H", "int a;", "#endif"]
    assert guards(lines)[2] == ()
    twin = ["#ifndef CONFIG_X", "#define OTHER 1", "int a;", "#endif"]
    assert guards(twin)[2] == ("!CONFIG_X",)


def test_shape_of_a_mid_body_piece() -> None:
    found = shape(["\t\tcontinue;", "\t}", "\treturn 0; /* } */", "}", "", "int f(void)", "{"])
    assert found.min_brace == -2
    assert found.outer_close_depth == -2
    assert found.end_brace == -1
    assert found.first_code_indent == 2


def test_twin_balanced_piece_at_file_scope() -> None:
    found = shape(["int f(void)", "{", '\tputs("}");', "}"])
    assert (found.min_brace, found.end_brace, found.first_code_indent) == (0, 0, 0)


def test_piece_starting_in_a_comment_or_a_parameter_list() -> None:
    found = shape([" * the end of a comment {", " */", "\t\tunsigned long b)", "{"])
    assert found.starts_in_comment
    assert found.min_brace == 0
    assert found.closes_paren_before == "{"
    twin = shape(["/* a whole comment */", "int f(int a,", "\t\tunsigned long b)", "{", "/*"])
    assert not twin.starts_in_comment
    assert twin.closes_paren_before is None
    assert twin.ends_in_comment
