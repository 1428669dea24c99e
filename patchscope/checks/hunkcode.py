"""The code one image of a hunk shows: tokens with their lines, and its statements.

A statement is what claim comparisons pair: a condition, an assigned value, a return,
a call. Each knows the braces around it and whether an unbraced if/else/loop guards
it, so a comparison can tell which assignment reaches a use.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from patchscope.checks.cexpr import TYPES, is_identifier, scan
from patchscope.code.fragments import is_c_file
from patchscope.diff.model import FileDiff, Hunk


@dataclass(frozen=True)
class Token:
    text: str
    file: str
    line: int  # in the side's image
    code: str  # the whole line, as evidence
    sign: str  # the hunk line's kind: "+", "-" or " "
    directive: bool = False  # on a preprocessor line (or its continuation)

    @property
    def changed(self) -> bool:
        return self.sign != " "


def is_c(fd: FileDiff) -> bool:
    return is_c_file(fd.path) and not fd.binary


def side(fd: FileDiff, hunk: Hunk, kind: str) -> list[Token]:
    """One image of a hunk ('-': context and removed lines, '+': context and added) as tokens."""
    lines = [hl for hl in hunk.lines if hl.kind in (" ", kind)]
    text = "\n".join(hl.text for hl in lines)
    starts = [0]
    for hl in lines[:-1]:
        starts.append(starts[-1] + len(hl.text) + 1)
    directive, continued = [], False
    for hl in lines:
        stripped = hl.text.strip()
        directive.append(continued or stripped.startswith("#"))
        continued = directive[-1] and stripped.endswith("\\")
    tokens = []
    for token, offset in scan(text, lenient=True):
        at = bisect.bisect_right(starts, offset) - 1
        hl = lines[at]
        number = (hl.old_no if kind == "-" else hl.new_no) or 0
        tokens.append(Token(token, fd.path, number, hl.text.strip(), hl.kind, directive[at]))
    return tokens


def images(hunks: Sequence[tuple[FileDiff, Hunk]]) -> list[tuple[list[Token], list[Token]]]:
    """Each hunk's pre- and post-image as tokens, made once for every comparison that reads them."""
    return [(side(fd, h, "-"), side(fd, h, "+")) for fd, h in hunks]


# --- statements ---------------------------------------------------------------------------

CONDITIONS = frozenset({"if", "while", "for"})
_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})
_SKIP = frozenset({"{", "}", ";", "else", "do"})
_JUMPS = frozenset({"break", "continue", "goto"})
DECL_WORDS = frozenset(
    {"static", "const", "volatile", "register", "extern", "inline", "struct", "union", "enum"}
    | {"unsigned", "signed", "int", "long", "short", "char", "void", "__always_inline"}
    | set(TYPES)
)


@dataclass(frozen=True)
class Stmt:
    kind: str  # "if", "while", "for", "return", "assign", "call"
    key: str  # what pairs it: the keyword, the assigned name, the callee, return's function
    tokens: tuple[str, ...]  # the condition, the value, or the whole call
    where: Token
    changed: bool
    # where it runs, for knowing which assignment reaches it: the braces open around it
    # (numbered as the hunk opens them; a brace closed that the hunk did not open starts a
    # new outer count), and whether an unbraced if/else/loop runs it only sometimes
    blocks: tuple[int, ...] = ()
    guarded: bool = False


def statements(tokens: list[Token], section: str = "") -> Iterator[Stmt]:
    """The statements a stretch of code tokens holds, cut where the hunk cuts them.

    `section` is the hunk's @@ hint: the function a hunk starting mid-body is in.
    """
    code = [t for t in tokens if not t.directive]
    hint = re.search(r"(\w+)\s*\(", section)
    function = hint.group(1) if hint else ""
    stack: list[int] = []
    opened, floor, guard = 0, 0, False
    i = 0
    while i < len(code):
        text = code[i].text
        nxt = code[i + 1].text if i + 1 < len(code) else ""
        where = ((floor, *stack), guard)
        if text in CONDITIONS | {"switch"} and nxt == "(":
            end = _close(code, i + 1)
            if end is None:
                return
            inner = code[i + 2 : end]
            if text == "for":  # its init and step are not straight-line code: guarded
                found = [
                    replace(s, guarded=True) if s.kind == "assign" else s
                    for s in _for(code[i], inner)
                ]
                yield from (replace(s, blocks=where[0]) for s in found)
                found = []
            else:
                found = [] if text == "switch" else [_stmt(text, text, inner, code[i])]
            yield from (replace(s, blocks=where[0], guarded=where[1]) for s in found)
            guard = end + 1 < len(code) and code[end + 1].text != "{"
            i = end + 1
        elif text in _SKIP:
            if text == "{":
                opened += 1
                stack.append(opened)
            elif text == "}":
                floor, stack = (floor - 1, stack) if not stack else (floor, stack[:-1])
            guard = (text == "else" and nxt not in ("{", "if")) or (text == "do" and nxt != "{")
            i += 1
        elif text in ("case", "default") or (is_identifier(text) and nxt == ":"):
            i = next((j for j in range(i, len(code)) if code[j].text == ":"), len(code)) + 1
        else:
            end = _statement_end(code, i)
            if end is None:
                return
            if code[end].text == ";" and text not in _JUMPS:
                found = list(_simple(code[i:end], function))
                yield from (replace(s, blocks=where[0], guarded=where[1]) for s in found)
            elif code[end].text == "{":  # a definition's head: what follows is its body
                head = [t.text for t in code[i:end]]
                function = head[head.index("(") - 1] if "(" in head[1:] else function
            guard = guard and code[end].text != ";"
            i = end + 1 if code[end].text == ";" else end


def _close(code: list[Token], open_at: int) -> int | None:
    depth = 0
    for j in range(open_at, len(code)):
        depth += code[j].text in "([{"
        depth -= code[j].text in ")]}"
        if depth == 0:
            return j
    return None


def _statement_end(code: list[Token], start: int) -> int | None:
    depth = 0
    for j in range(start, len(code)):
        text = code[j].text
        if depth == 0 and text in (";", "{", "}"):
            return j
        depth += text in "(["
        depth -= text in ")]"
    return None


def _stmt(kind: str, key: str, tokens: list[Token], where: Token) -> Stmt:
    changed = where.changed or any(t.changed for t in tokens)
    return Stmt(kind, key, tuple(t.text for t in tokens), where, changed)


def _split(tokens: list[Token], sep: str) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if depth == 0 and t.text == sep:
            parts.append([])
            continue
        depth += t.text in "([{"
        depth -= t.text in ")]}"
        parts[-1].append(t)
    return parts


def _for(keyword: Token, inner: list[Token]) -> Iterator[Stmt]:
    parts = _split(inner, ";")
    if len(parts) != 3:
        return
    init, cond, step = parts
    for part in (init, step):
        for piece in _split(part, ","):
            yield from _simple(piece, "")
    if cond:
        yield _stmt("for", "for", cond, keyword)


def _simple(tokens: list[Token], function: str) -> Iterator[Stmt]:
    """An expression statement, a declaration or a return, as the statements to compare."""
    if not tokens:
        return
    texts = [t.text for t in tokens]
    if texts[0] == "return":
        if len(tokens) > 1:
            yield _stmt("return", function, tokens[1:], tokens[0])
        return
    declaration = texts[0] in DECL_WORDS
    for piece in _split(tokens, ",") if declaration else [tokens]:
        yield from _assignment(piece, declaration)


def _assignment(tokens: list[Token], declaration: bool) -> Iterator[Stmt]:
    texts = [t.text for t in tokens]
    depth = 0
    for k, text in enumerate(texts):
        depth += text in "([{"
        depth -= text in ")]}"
        if depth == 0 and text in _ASSIGN:
            lhs = [t for t in texts[:k] if t not in ("*", "const")]
            key = lhs[-1] if declaration and lhs else " ".join(lhs)
            value = tokens[k + 1 :]
            if text != "=":  # x op= v is x = x op (v)
                value = [*tokens[:k], _as(tokens[k], text[:-1]), _as(tokens[k], "("), *value]
                value.append(_as(tokens[-1], ")"))
            yield _stmt("assign", key, value, tokens[0])
            return
    if "++" in texts or "--" in texts:
        name = next((t for t in texts if is_identifier(t)), "")
        yield Stmt("assign", name, (), tokens[0], any(t.changed for t in tokens))
    elif not declaration and is_identifier(texts[0]) and len(texts) > 1 and texts[1] == "(":
        yield _stmt("call", texts[0], tokens, tokens[0])


def _as(token: Token, text: str) -> Token:
    return Token(text, token.file, token.line, token.code, token.sign)
