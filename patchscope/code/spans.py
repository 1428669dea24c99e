"""Whole definitions of the touched functions, stage by stage, from the placed files.

The patches show only fragments of a function; with a base tree every stage of every
touched file is known in full, so each touched function's span and body can be read
from the file itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tree_sitter import Node, Tree

from patchscope.code.cparse import function_name, node_text, parse, parse_edited
from patchscope.code.fragments import is_c_file
from patchscope.code.place import Placement

# Where function definitions may sit: the file's top level and preprocessor blocks.
_CONTAINERS = frozenset(
    {
        "translation_unit",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
        "linkage_specification",
        "declaration_list",
    }
)

Definition = tuple[str, int, int, str]  # name, first line, last line, text


@dataclass(frozen=True)
class Span:
    stage: int  # 0: the base tree; n: after patch n
    name: str
    file: str
    start: int  # first line of the definition, its header
    end: int  # last line, the closing brace
    text: str  # the whole definition as the file holds it


def function_spans(names: Iterable[str], placement: Placement) -> tuple[Span, ...]:
    """Each definition of `names` in each touched C file at each stage."""
    wanted = frozenset(names)
    parsed = _definitions(placement)
    return tuple(
        Span(stage.patch, name, file.path, start, end, text)
        for stage in placement.stages
        for file in stage.files
        if file.text in parsed
        for name, start, end, text in parsed[file.text]
        if name in wanted
    )


def _definitions(placement: Placement) -> dict[str, list[Definition]]:
    """The definitions in each text of a touched C file (a text a patch left alone recurs
    across stages). Each file is parsed from its last text (parsed already for its callers)
    back to its first, each text reusing the parse of the one after it."""
    parsed: dict[str, list[Definition]] = {}
    after: dict[str, tuple[str, Tree]] = {}  # by path: the text of the stage after, parsed
    for stage in reversed(placement.stages):
        for file in stage.files:
            if file.text is None or not is_c_file(file.path):
                continue
            if file.path in after and after[file.path][0] == file.text:
                continue
            later = after.get(file.path)
            tree = (
                parse(file.text) if later is None else parse_edited(later[1], later[0], file.text)
            )
            after[file.path] = (file.text, tree)
            if file.text not in parsed:
                parsed[file.text] = list(_walk(tree.root_node))
    return parsed


def _walk(node: Node) -> Iterator[Definition]:
    for child in node.named_children:
        if child.type == "function_definition":
            name = function_name(child.child_by_field_name("declarator"))
            if name is not None:
                yield name, child.start_point[0] + 1, child.end_point[0] + 1, node_text(child)
        elif child.type in _CONTAINERS:
            yield from _walk(child)
