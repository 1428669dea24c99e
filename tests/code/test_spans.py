"""Whole definitions of touched functions at every stage, read from the placed files."""

from __future__ import annotations

import pytest
from tree_sitter import Node

from patchscope.code.cparse import parse, parse_alone, parse_edited
from patchscope.code.place import place, place_series
from patchscope.code.spans import function_spans
from patchscope.code.tree import open_tree
from patchscope.diff.parse import parse_diff
from patchscope.pipeline import load_series
from tests.code.treeseries import TreeSeries, make_tree_series
from tests.conftest import git


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("spans"))


def _definition(text: str, header: str) -> tuple[int, int, str]:
    """Lines of the definition whose header line starts with `header`, found by reading
    the text: from the header to the first '}' in column 0."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    return start + 1, end + 1, "\n".join(lines[start : end + 1])


def test_spans_follow_the_series_stage_by_stage(made: TreeSeries) -> None:
    """On the series' own base every stage is a commit of the series branch."""
    series = load_series(str(made.mbox))
    placement = place_series(series, open_tree(f"git:{made.repo}@main~1"))
    spans = function_spans(["add_memory_resource", "arch_add_memory"], placement)
    for stage, rev in ((0, "main~1"), (1, "series~1"), (2, "series")):
        for file, header in (
            ("mm/memory_hotplug.c", "int add_memory_resource("),
            ("arch/x86/mm/init_64.c", "int arch_add_memory("),
        ):
            expected = _definition(git(made.repo, "show", f"{rev}:{file}"), header)
            (span,) = [s for s in spans if s.stage == stage and s.file == file]
            assert (span.start, span.end, span.text) == expected
    # the header only declares arch_add_memory: no span there
    assert not [s for s in spans if s.file.endswith(".h")]


_GUARDED = (
    "#ifdef CONFIG_MEMORY_HOTPLUG\nint a(void)\n{\n\treturn 1;\n}\n#else\n"
    "static inline int a(void)\n{\n\treturn 0;\n}\n#endif\nint b(void)\n{\n\treturn 2;\n}\n"
)
_CHANGE_B = (
    "diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n"
    "@@ -14 +14 @@ int b(void)\n-\treturn 2;\n+\treturn 3;\n"
)


def test_definitions_inside_preprocessor_blocks_are_found() -> None:
    placement = place([(1, parse_diff(_CHANGE_B).files)], {"mm/x.c": _GUARDED}.get)
    spans = function_spans(["a", "b"], placement)
    # both variants of a (lines 2-5 and 7-10 of _GUARDED) and b (12-15), at each stage
    assert [(s.stage, s.name, s.start, s.end) for s in spans] == [
        (0, "a", 2, 5),
        (0, "a", 7, 10),
        (0, "b", 12, 15),
        (1, "a", 2, 5),
        (1, "a", 7, 10),
        (1, "b", 12, 15),
    ]
    assert spans[2].text.endswith("return 2;\n}")
    assert spans[5].text.endswith("return 3;\n}")


def test_files_the_series_does_not_touch_give_no_spans() -> None:
    placement = place([], {"mm/x.c": _GUARDED}.get)
    assert function_spans(["a", "b"], placement) == ()


BEFORE = "int a(void)\n{\n\treturn 1;\n}\n\nstatic int b(int x)\n{\n\treturn x;\n}\n"


@pytest.mark.parametrize(
    "after",
    [
        BEFORE,  # no edit
        "/* new */\n" + BEFORE,  # at the start
        BEFORE + "void c(void)\n{\n}\n",  # at the end
        BEFORE.replace("return x;", "return x + é;"),  # inside, a multi-byte character
        BEFORE.replace("static int b(int x)", "#ifdef B\nstatic long b(long x)\n#endif"),
        BEFORE.replace("\n{\n\treturn 1;\n}\n", ";\n"),  # a definition left as a prototype
        "",  # everything removed
        BEFORE.replace("}\n", "", 1),  # a brace removed: the parse has an error
    ],
)
def test_a_text_parsed_from_the_next_stages_parse_is_parsed_as_from_scratch(after: str) -> None:
    # _definitions reuses the parse of a file's next text; the trees must be those a parse
    # of each text alone gives (checked on every node and its position)
    edited = parse_edited(parse(BEFORE), BEFORE, after)
    assert _nodes(edited.root_node) == _nodes(parse_alone(after))
    back = parse_edited(parse(after), after, BEFORE)
    assert _nodes(back.root_node) == _nodes(parse_alone(BEFORE))


def _nodes(node: Node) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    found = [(node.type, node.start_point, node.end_point)]
    for child in node.children:
        found.extend(_nodes(child))
    return found
