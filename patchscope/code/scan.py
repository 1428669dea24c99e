"""A hand-written look at a partial C fragment before tree-sitter parses it.

tree-sitter parses what it is given; it cannot say that a hunk starts inside a
comment, a parameter list or a function body, and its preprocessor nodes need
balanced #if/#endif, which a hunk seldom has.  So this module does the little
lexing (comments, strings, braces, parentheses) and #if bookkeeping that no
library offers for fragments, line by line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_CONDITIONAL = re.compile(r"\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)")
_DEFINE = re.compile(r"\s*#\s*define\s+(\w+)")
_COMMENT_MIDDLE = re.compile(r"\s*\*(\s|$)")
_LABEL = re.compile(r"[A-Za-z_]\w*:\s*(?:$|/[*/])")


@dataclass(frozen=True)
class Shape:
    """What the fragment's punctuation says about where it starts and ends."""

    starts_in_comment: bool
    ends_in_comment: bool
    min_brace: int  # lowest brace depth reached, 0 when no '}' closes an unseen '{'
    end_brace: int  # depth at the end, counted from the start
    closes_paren_before: str | None  # for a ')' closing an unseen '(': the next code char
    code_after_close_indented: bool  # the first code line after that ')' line is indented
    first_code_indent: int  # tab stops before the first line of code
    outer_close_depth: int | None  # depth after the first '}' in column 0 (a function's end)


def directive_rows(lines: Sequence[str]) -> frozenset[int]:
    """Rows of preprocessor lines, with their backslash continuations."""
    rows: set[int] = set()
    inside = False
    for row, line in enumerate(lines):
        if inside or line.lstrip().startswith("#"):
            rows.add(row)
            inside = line.endswith("\\")
    return frozenset(rows)


def conditional_rows(lines: Sequence[str]) -> frozenset[int]:
    """Rows of #if/#else/#endif lines and their continuations: blanked before parsing."""
    rows: set[int] = set()
    inside = False
    for row, line in enumerate(lines):
        if inside or _CONDITIONAL.match(line):
            rows.add(row)
            inside = line.endswith("\\")
    return frozenset(rows)


def guards(lines: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The visible #if conditions around each row, outermost first.

    `#ifndef X` gives "!X", `#else` negates its branch, `#elif E` replaces it by E,
    an `#endif` or `#else` whose `#if` is not shown is ignored, and an include
    guard (`#ifndef X` then `#define X`) is not reported.
    """
    stack: list[str | None] = []  # None: an include guard, kept for balance only
    result: list[tuple[str, ...]] = []
    joined = _join_continuations(lines)
    for row in range(len(lines)):
        result.append(tuple(c for c in stack if c is not None))
        if row in joined:
            _apply(stack, joined[row], _next_code(lines, row))
    return tuple(result)


def guard_text(guard: Sequence[str]) -> str:
    """One condition for a nest of #if blocks: they all must hold."""
    return " && ".join(guard)


def _join_continuations(lines: Sequence[str]) -> dict[int, str]:
    """Conditional directives by their first row, continuation lines joined."""
    found: dict[int, str] = {}
    row = 0
    while row < len(lines):
        if _CONDITIONAL.match(lines[row]):
            first, text = row, lines[row]
            while text.endswith("\\") and row + 1 < len(lines):
                row += 1
                text = text[:-1] + " " + lines[row]
            found[first] = text
        row += 1
    return found


def _next_code(lines: Sequence[str], row: int) -> str:
    return next((line for line in lines[row + 1 :] if line.strip()), "")


def _apply(stack: list[str | None], directive: str, following: str) -> None:
    match = _CONDITIONAL.match(directive)
    assert match is not None
    word, rest = match.group(1), _condition(match.group(2))
    if word in ("if", "ifdef"):
        stack.append(rest)
    elif word == "ifndef":
        define = _DEFINE.match(following)
        stack.append(None if define and define.group(1) == rest else f"!{rest}")
    elif not stack:
        return  # its #if is outside the fragment: nothing we can name
    elif word == "endif":
        stack.pop()
    elif word == "elif":
        stack[-1] = rest
    elif stack[-1] is not None:
        stack[-1] = negate(stack[-1])


def _condition(text: str) -> str:
    text = re.sub(r"/\*.*?(\*/|$)|//.*", " ", text)
    return " ".join(text.split())


def negate(condition: str) -> str:
    if condition.startswith("!") and re.fullmatch(r"!\w+", condition):
        return condition[1:]
    if re.fullmatch(r"\w+", condition):
        return f"!{condition}"
    return f"!({condition})"


def shape(lines: Sequence[str]) -> Shape:
    """Scan comments, strings and brackets, skipping preprocessor lines."""
    skip = directive_rows(lines)
    text = "\n".join(line if row not in skip else "" for row, line in enumerate(lines))
    scanner = _Scanner(text, _starts_in_comment(text))
    scanner.run()
    code_rows = sorted(scanner.code_rows)
    # a label sits in column 0 whatever its depth (kernel style): the code after it tells
    indented = [r for r in code_rows if not _LABEL.match(lines[r])]
    first = lines[indented[0]].expandtabs(8) if indented else ""
    width = len(first) - len(first.lstrip())
    after_close = [r for r in code_rows if scanner.close_row is not None and r > scanner.close_row]
    return Shape(
        starts_in_comment=scanner.started_in_comment,
        ends_in_comment=scanner.in_comment,
        min_brace=scanner.min_brace,
        end_brace=scanner.brace,
        closes_paren_before=scanner.after_close,
        code_after_close_indented=bool(after_close) and lines[after_close[0]][:1].isspace(),
        first_code_indent=-(-width // 8),
        outer_close_depth=scanner.outer_close_depth,
    )


def _starts_in_comment(text: str) -> bool:
    """A '*/' before any '/*', or a first line in the ` * text` style of a comment's middle."""
    close = text.find("*/")
    opening = text.find("/*")
    if close != -1 and (opening == -1 or close < opening):
        return True
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_COMMENT_MIDDLE.match(first))


# What the scan stops at, one match each: a newline, a comment (to its close or the end),
# a literal (to its closing quote, or up to its line's end when unclosed; a backslash
# escapes the next character, a newline too), a bracket, or a run of other code.
_TOKEN = re.compile(
    r"""
    (?P<newline>\n)
  | (?P<block>/\*.*?(?:\*/|\Z))
  | (?P<line>//[^\n]*)
  | (?P<literal>"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)
  | (?P<bracket>[{}()])
  | (?P<code>/|[^\s/"'{}()]+)
    """,
    re.VERBOSE | re.DOTALL,
)


class _Scanner:
    """One pass over the text by tokens: comments and literals skipped, bracket depths kept."""

    def __init__(self, text: str, in_comment: bool) -> None:
        self.text = text
        self.started_in_comment = in_comment
        self.in_comment = in_comment
        self.brace = self.min_brace = 0
        self.paren = 0
        self.close_row: int | None = None
        self.after_close: str | None = None
        self.code_rows: set[int] = set()
        self.outer_close_depth: int | None = None

    def run(self) -> None:
        text, start, row = self.text, 0, 0
        if self.in_comment:  # the fragment starts inside a comment: up to its close
            close = text.find("*/")
            start = len(text) if close == -1 else close + 2
            self.in_comment = close == -1
            row = text.count("\n", 0, start)
        for token in _TOKEN.finditer(text, start):
            kind = token.lastgroup
            if kind == "newline":
                row += 1
            elif kind == "block":
                row += token.group().count("\n")
                self.in_comment = not token.group().endswith("*/", 2)
            elif kind != "line":
                self._code(token.start(), token.group()[0], row)

    def _code(self, i: int, ch: str, row: int) -> None:
        """Code starting with `ch` at `i` (a bracket, a literal or a run of other code)."""
        self.code_rows.add(row)
        if self.close_row is not None and self.after_close is None:
            self.after_close = ch
        if ch == "{":
            self.brace += 1
        elif ch == "}":
            self.brace -= 1
            at_column_0 = i == 0 or self.text[i - 1] == "\n"
            if at_column_0 and self.outer_close_depth is None:
                self.outer_close_depth = self.brace
            self.min_brace = min(self.min_brace, self.brace)
        elif ch == "(":
            self.paren += 1
        elif ch == ")":
            self.paren -= 1
            if self.paren == -1 and self.close_row is None and self.min_brace == 0:
                self.close_row = row
