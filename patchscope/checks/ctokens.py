"""C tokens: the tokenizer of the C evaluator (cexpr.py), alone, so that a check that only
tokenizes lines does not load the evaluator's expression types."""

from __future__ import annotations

import re
from collections.abc import Iterator

from patchscope.errors import PatchscopeError


class CExprError(PatchscopeError):
    """Text that is not a C expression this evaluator understands."""


# What reading a fragment may raise: text no C, or nesting deeper than Python recurses.
UNREADABLE = (CExprError, RecursionError)


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|/\*.*?\*/|//[^\n]*)
  | (?P<number>(?:0[xX][0-9a-fA-F']+|0[bB][01']+|\d[\d']*)[uUlL]*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
  | (?P<punct>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||\#\#
        |[-+*/%&|^]=|[-+*/%&|^~!<>=?:,;.()\[\]{}\#])
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> tuple[str, ...]:
    """C tokens of `text` without whitespace and comments; raises CExprError on a stray byte."""
    return tuple(token for token, _ in scan(text))


def scan(text: str, *, lenient: bool = False) -> Iterator[tuple[str, int]]:
    """(token, offset) pairs; `lenient` steps over what is no C token (prose in a fragment)."""
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if not lenient:
                raise CExprError(f"cannot tokenize {text[pos : pos + 20]!r}")
            pos += 1
            continue
        if match.lastgroup != "space":
            yield match.group(), pos
        pos = match.end()


def is_identifier(token: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_]\w*", token))
