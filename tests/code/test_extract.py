"""Definitions, references and assignments read from fragments written by hand."""

from __future__ import annotations

from pathlib import Path

from patchscope.code.extract import extract, hint_function
from patchscope.code.facts import patch_facts
from patchscope.code.fragments import Fragment, Piece
from patchscope.code.model import Definition, Image
from patchscope.diff.parse import parse_diff
from tests.code.test_changes import TOY_C, edit, line_of, patched

WHOLE_FILE = """\
#include <linux/x.h>

#define X_SHIFT 3
#define X_PAGES(n) ((n) << X_SHIFT)

extern int x_total;
static struct x_ops *x_current;
unsigned long x_limit = 16;

struct x_ops {
\tint (*init)(int nid);
\tunion {
\t\tlong a;
\t\tvoid *b;
\t};
};

int x_add(int nid, long size);

static const struct x_ops x_default = {
\t.init = x_setup,
\t.nr = 4,
};

static inline unsigned long __meminit x_grow(struct x_ops *ops, int nid)
{
\tint got = ops->init(nid);
\tstruct x_ops local = {};

\tlocal.init = x_setup;
\tops->init = x_other;
\tx_limit += X_PAGES(got);
\tx_total++;
\tif (WARN_ON(!got))
\t\treturn 0;
\treturn x_count(ops->nr, nid) + local.nr;
}
"""


def image_of(lines: str, start: int = 1, section: str = "", path: str = "mm/x.c") -> Image:
    piece = Piece(start, tuple(lines.splitlines()), frozenset(), section)
    return extract(Fragment(path, "after", (piece,)))


def named(image: Image, name: str) -> Definition:
    (found,) = [d for d in image.definitions if d.name == name]
    return found


def test_every_kind_of_definition() -> None:
    image = image_of(WHOLE_FILE, start=101)
    found = {(d.kind, d.name, d.line, d.static) for d in image.definitions}
    assert found == {
        ("macro", "X_SHIFT", 103, False),
        ("macro", "X_PAGES", 104, False),
        ("extern", "x_total", 106, False),
        ("global", "x_current", 107, True),
        ("global", "x_limit", 108, False),
        ("struct", "x_ops", 110, False),
        ("field", "x_ops.init", 111, False),
        ("field", "x_ops.a", 113, False),
        ("field", "x_ops.b", 114, False),
        ("prototype", "x_add", 118, False),
        ("global", "x_default", 120, True),
        ("function", "x_grow", 125, True),
    }
    grow = named(image, "x_grow")
    assert grow.signature == (
        "static inline unsigned long __meminit x_grow(struct x_ops *ops, int nid)"
    )
    assert (grow.end_line, grow.complete) == (137, True)
    assert named(image, "X_PAGES").signature == "#define X_PAGES(n) ((n) << X_SHIFT)"
    assert named(image, "X_PAGES").body == "((n) << X_SHIFT)"
    assert named(image, "x_ops.init").signature == "int (*init)(int nid)"
    assert named(image, "x_limit").body == "16"


def test_references_inside_a_function() -> None:
    image = image_of(WHOLE_FILE, start=101)
    inside = {
        (r.kind, r.name, r.via, r.line) for r in image.references if r.in_function == "x_grow"
    }
    assert inside == {
        ("pointer_call", "init", "init", 127),
        ("write", "init", None, 131),  # local.init = ... and ops->init = ...
        ("write", "init", None, 130),
        ("use", "x_setup", None, 130),
        ("use", "x_other", None, 131),
        ("write", "x_limit", None, 132),
        ("macro_call", "X_PAGES", None, 132),
        ("write", "x_total", None, 133),
        ("macro_call", "WARN_ON", None, 134),
        ("call", "x_count", None, 136),
        ("use", "nr", None, 136),
    }
    in_macro = {(r.kind, r.name, r.in_function) for r in image.references if r.line == 104}
    assert in_macro == {("use", "X_SHIFT", None)}  # a file-scope #define: no function


def test_functions_stored_in_fields() -> None:
    image = image_of(WHOLE_FILE, start=101)
    assigned = {(a.field, a.function, a.line) for a in image.assignments}
    assert assigned == {
        ("init", "x_setup", 121),
        ("init", "x_setup", 130),
        ("init", "x_other", 131),
    }


def test_twin_values_that_are_no_functions_are_not_assignments() -> None:
    image = image_of("void f(struct x_ops *ops, int fn)\n{\n\tops->init = fn;\n\tops->nr = NR;\n}")
    assert image.assignments == ()


def test_mid_body_piece_belongs_to_the_hinted_function() -> None:
    lines = "\t\tx = 2;\n\t}\n\tcount = nr_pages;\n\treturn 0;\n}\n\nint later;\n"
    image = image_of(lines, start=50, section="static int __ref grow(int nid, long nr_pages)")
    grow = named(image, "grow")
    assert (grow.kind, grow.line, grow.end_line, grow.signature, grow.complete) == (
        "function",
        50,
        54,
        "",
        False,
    )
    assert named(image, "later").kind == "global"
    refs = {(r.kind, r.name, r.in_function, r.line) for r in image.references}
    assert refs == {("write", "x", "grow", 50), ("write", "count", "grow", 52)}


def test_twin_same_piece_after_a_stale_hint_is_no_function() -> None:
    image = image_of("int later;\n\nint f(void)\n{\n}\n", section="static int grow(int nid)")
    assert {d.name for d in image.definitions} == {"later", "f"}


def test_header_continued_from_the_hint() -> None:
    lines = "\t\tunsigned long end)\n{\n\treturn end;\n}\n"
    image = image_of(lines, start=20, section="static long span(unsigned long start,")
    span = named(image, "span")
    assert span.signature == "static long span(unsigned long start, unsigned long end)"
    assert (span.line, span.end_line, span.complete) == (20, 23, False)
    bare = image_of("span(int a)\n{\n\treturn a;\n}\n", start=8, section="static int")
    assert named(bare, "span").signature == "static int span(int a)"


def test_piece_starting_inside_a_comment() -> None:
    lines = " * a comment's last line, with int x; in it\n */\nint y;\n"
    assert {d.name for d in image_of(lines).definitions} == {"y"}


def test_hint_function_names_only_definition_headers() -> None:
    assert hint_function("int __ref __add_pages(int nid, unsigned long phys_start_pfn,") == (
        "__add_pages"
    )
    assert hint_function("__offline_isolated_pages(unsigned long start_pfn, unsigned long e)")
    assert hint_function("extern int __remove_pages(struct zone *zone,") is None
    assert hint_function("EXPORT_SYMBOL_GPL(memhp_auto_online);") is None
    assert hint_function("static int") is None


FUNCTION_MACRO_DIFF = """\
diff --git a/mm/y.c b/mm/y.c
--- a/mm/y.c
+++ b/mm/y.c
@@ -1,6 +1,7 @@
 #define pages_of(x) ((x) >> 12)
 int y(long size)
 {
-\treturn pages_of(size);
+\tlong n = pages_of(size);
+\treturn round_up(n);
 }
"""


def test_calls_of_a_function_like_macro_the_patch_defines() -> None:
    facts = patch_facts(1, parse_diff(FUNCTION_MACRO_DIFF).files)
    calls = {(r.kind, r.name) for r in facts.after.references if r.name != "size"}
    assert calls == {("macro_call", "pages_of"), ("call", "round_up")}


def test_series_macros_reach_other_patches(tmp_path: Path) -> None:
    """A lower-case function-like macro renamed in patch 1 and called in patch 2."""
    text = TOY_C.replace("toy_clamp", "toy_clamp2")
    first, second = patched(
        tmp_path, {"mm/toy.c": text}, edit("toy_clamp2(i);", "toy_clamp2(i + 1);", text)
    )
    calls = [r for r in second.after.references if r.name == "toy_clamp2"]
    assert [(r.kind, r.in_function, r.line) for r in calls] == [
        ("macro_call", "toy_add", line_of(text, "toy_clamp2(i)"))
    ]
    assert [c.change for c in first.changes if c.name == "toy_clamp2"] == ["renamed"]
    # Patch 2 alone does not show the #define: the same call is a plain call there.
    (alone,) = patched(tmp_path / "alone", edit("toy_clamp(i);", "toy_clamp(i + 1);"))
    assert {r.kind for r in alone.after.references if r.name == "toy_clamp"} == {"call"}


def test_piece_opening_the_body_under_a_one_line_hint() -> None:
    lines = "{\n\tstruct page *page;\n\tint i;\n\n\ti = 0;\n"
    image = image_of(lines, start=30, section="static void __init clear_nodes(void)")
    assert [(d.kind, d.name, d.signature, d.line) for d in image.definitions] == [
        ("function", "clear_nodes", "static void __init clear_nodes(void)", 30)
    ]
    twin = image_of(lines, start=30, section="static void __init clear_nodes(int a,")
    assert [(d.kind, d.name, d.signature) for d in twin.definitions] == [
        ("function", "clear_nodes", "")
    ]


def test_indented_piece_under_a_label_hint_has_no_globals() -> None:
    """git's default hunk hint for C can be a label; the locals stay locals."""
    lines = "\tfor (area = 0; area < nr; area++) {\n\t\tint ret;\n\n\t\tstart = base;\n"
    image = image_of(lines, start=70, section="retry:")
    assert image.definitions == ()
    assert {(r.kind, r.name, r.in_function) for r in image.references} == {
        ("write", "area", None),
        ("use", "area", None),
        ("use", "nr", None),
        ("write", "start", None),
        ("use", "base", None),
    }
    twin = image_of("int ret;\n\nstart = base;\n", start=70, section="retry:")
    assert {d.name for d in twin.definitions} == {"ret"}  # at file scope a declaration is a global
    block = image_of(lines.replace("\t", ""), start=70, section="retry:")
    assert block.definitions == ()  # a block at file scope is a body whose header is unseen


def test_piece_in_the_middle_of_a_long_comment() -> None:
    lines = " * the limit on nodes is MAX_NUMNODES, so the\n * size per node is increased\n"
    assert image_of(lines).definitions == ()
