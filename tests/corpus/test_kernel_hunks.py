"""Hunks cut from Linux 6.1's mm/*.c at random (fixed seed), each read as a patch shows it:
no definition the code facts find is nameless or named by a C keyword.

The hint of each piece is what git's `diff=cpp` driver (the kernel's .gitattributes)
would print: the last line above it that starts a definition in column 0.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from patchscope.code.extract import extract
from patchscope.code.fragments import Fragment, Piece

# git's funcname pattern for cpp: a line starting with a letter or '_', but not a label
_HINT = re.compile(r"^(?![ \t]*[A-Za-z_]\w*:\s*($|/[/*]))((::\s*)?[A-Za-z_].*)$")
_KEYWORDS = frozenset(
    {"if", "else", "for", "while", "do", "switch", "case", "return", "sizeof", "goto"}
    | {"break", "continue", "default", "int", "long", "short", "char", "void", "unsigned"}
    | {"signed", "const", "volatile", "static", "inline", "extern", "struct", "union", "enum"}
)
PIECES_PER_FILE = 40


def test_no_keyword_or_empty_name_from_any_hunk(linux61: Path) -> None:
    chance = random.Random(61)
    wrong = []
    files = sorted((linux61 / "mm").glob("*.c"))
    assert len(files) > 100  # the whole folder was unpacked
    for path in files:
        lines = path.read_text(errors="replace").splitlines()
        starts = [i for i, line in enumerate(lines) if _HINT.match(line)]
        for _ in range(PIECES_PER_FILE):
            first = chance.randrange(max(1, len(lines) - 20))
            count = chance.randint(6, 18)
            hint = next((lines[i] for i in reversed(starts) if i < first), "")[:80]
            piece = Piece(first + 1, tuple(lines[first : first + count]), frozenset(), hint)
            for found in extract(Fragment(path.name, "after", (piece,))).definitions:
                if not found.name or found.name.split(".")[0] in _KEYWORDS:
                    wrong.append((path.name, first + 1, count, found.kind, found.name))
    assert wrong == []
