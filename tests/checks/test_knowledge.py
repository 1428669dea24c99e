"""Layers of what an image knows: the series' own definitions over the tree's texts, and
earlier tree texts over later ones, whether a text is read at once or when a name is asked."""

from __future__ import annotations

from patchscope.checks.cexpr import INT, LONG, UINT, ULONG
from patchscope.checks.knowledge import Knowledge, declarations
from patchscope.code.model import Definition, Image

HEADER = "struct page;\nextern unsigned long nr_pages;\nint shared;\n#define ONE 1\n"
SOURCE = (
    "static long shared;\nint local_only(unsigned int count)\n{\n\treturn count;\n}\n"
    "#define ONE 2\n"
)


def _global(name: str, signature: str) -> Definition:
    return Definition("global", name, "mm/x.c", 1, 1, (), False, signature, "", True)


def test_first_tree_text_gives_a_name_its_type() -> None:
    known = Knowledge()
    known.learn_text(HEADER)
    known.learn_text(SOURCE)
    assert known.types["nr_pages"] == ULONG
    assert known.types["shared"] == INT  # the header came first; the source's `long` is later
    assert known.types["count"] == UINT
    assert known.macros["ONE"].body == ("1",)
    assert "struct" not in known.types and "missing" not in known.types
    # the whole view is what reading every text at once gives, earlier texts first
    assert dict(known.types) == {**declarations(SOURCE), **declarations(HEADER)}


def test_the_series_overrides_the_tree_before_and_after_it_is_read() -> None:
    early, late = Knowledge(), Knowledge()
    early.learn(Image((_global("shared", "long shared"),), (), ()))
    early.learn_text(HEADER)
    late.learn_text(HEADER)
    late.learn(Image((_global("shared", "long shared"),), (), ()))
    assert early.types["shared"] == LONG == late.types["shared"]
    copied = late.copy()
    copied.types["nr_pages"] = INT
    assert copied.types["nr_pages"] == INT and late.types["nr_pages"] == ULONG
    renamed = late.renamed({"nr_pages": "pages_nr"})
    assert renamed.types["pages_nr"] == ULONG
