"""Hunks to pre/post-image pieces with their real line numbers."""

from __future__ import annotations

from patchscope.code.fragments import file_fragments, is_c_file
from patchscope.diff.parse import parse_diff

TWO_HUNKS = """\
diff --git a/mm/a.c b/mm/a.c
--- a/mm/a.c
+++ b/mm/a.c
@@ -10,4 +10,5 @@ int first(void)
 \tint x;
-\tx = 1;
+\tx = 2;
+\tx++;
 \treturn x;
@@ -40,3 +41,2 @@ int second(void)
 \tint y;
-\ty = 3;
 \treturn y;
"""


def test_each_side_keeps_real_line_numbers_and_its_changed_lines() -> None:
    before, after = file_fragments(parse_diff(TWO_HUNKS).files[0])
    assert [(p.start, p.lines) for p in before.pieces] == [
        (10, ("\tint x;", "\tx = 1;", "\treturn x;")),
        (40, ("\tint y;", "\ty = 3;", "\treturn y;")),
    ]
    assert [(p.start, p.lines) for p in after.pieces] == [
        (10, ("\tint x;", "\tx = 2;", "\tx++;", "\treturn x;")),
        (41, ("\tint y;", "\treturn y;")),
    ]
    assert [p.changed for p in before.pieces] == [frozenset({11}), frozenset({41})]
    assert [p.changed for p in after.pieces] == [frozenset({11, 12}), frozenset()]
    assert [p.section for p in after.pieces] == ["int first(void)", "int second(void)"]


def test_twin_shifted_header_shifts_every_line() -> None:
    shifted = TWO_HUNKS.replace("@@ -40,3 +41,2 @@", "@@ -50,3 +51,2 @@")
    before, after = file_fragments(parse_diff(shifted).files[0])
    assert [p.start for p in before.pieces] == [10, 50]
    assert [p.start for p in after.pieces] == [10, 51]
    assert before.pieces[1].changed == frozenset({51})


def test_touching_hunks_make_one_piece() -> None:
    diff = """\
diff --git a/mm/b.c b/mm/b.c
--- a/mm/b.c
+++ b/mm/b.c
@@ -1,1 +1,1 @@
-int a;
+long a;
@@ -2,1 +2,1 @@
-int b;
+long b;
"""
    before, after = file_fragments(parse_diff(diff).files[0])
    assert [(p.start, p.lines) for p in after.pieces] == [(1, ("long a;", "long b;"))]
    assert before.pieces[0].changed == frozenset({1, 2})


def test_a_new_file_has_no_before_pieces() -> None:
    diff = """\
diff --git a/mm/new.c b/mm/new.c
new file mode 100644
--- /dev/null
+++ b/mm/new.c
@@ -0,0 +1,2 @@
+int a;
+int b;
"""
    before, after = file_fragments(parse_diff(diff).files[0])
    assert before.pieces == ()
    assert after.pieces[0].start == 1


def test_only_c_sources_and_headers_are_parsed() -> None:
    assert is_c_file("mm/sparse.c") and is_c_file("include/linux/mm.h")
    assert not any(is_c_file(p) for p in ("arch/x86/kernel/head_64.S", "mm/Kconfig", "a.cc"))
