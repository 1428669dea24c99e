"""Whether C text defines a name as a given kind of entity, by careful regular expressions.

Written apart from patchscope/code/ (which reads hunks with tree-sitter) so that the two
can check each other: kernel style puts every file-scope definition in column 0, which
is what these patterns lean on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_TYPE_WORDS = re.compile(r"[A-Za-z_][\w\s*]*")  # `static inline unsigned long *` and the like
_AFTER_PARAMS = re.compile(r"(?:\s|__\w+(?:\s*\(\([^;{]*?\)\))?|\\\n)*")


def strip_comments(text: str) -> str:
    """Comments blanked, newlines kept, so lines and columns still line up."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def _close(text: str, at: int, opening: str, closing: str) -> int | None:
    """The index just past the bracket matching the one at `at`."""
    depth = 0
    for i in range(at, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _headers(text: str, name: str) -> Iterator[str]:
    """What follows the parameter list of every column-0 header `... name(...)`."""
    for match in re.finditer(rf"(?m)^([^\n]*?)\b{re.escape(name)}\s*\(", text):
        before = match.group(1)
        if before and not _TYPE_WORDS.fullmatch(before):
            continue
        if before.split()[:1] in (["return"], ["else"], ["typedef"]):
            continue
        end = _close(text, match.end() - 1, "(", ")")
        if end is not None:
            after = _AFTER_PARAMS.match(text, end)
            yield text[after.end() if after else end :][:1]


def defines(text: str, kind: str, name: str) -> bool:
    text = strip_comments(text)
    word = re.escape(name)
    if kind == "macro":
        return bool(re.search(rf"(?m)^[ \t]*#[ \t]*define[ \t]+{word}\b", text))
    if kind == "function":
        return "{" in _headers(text, name)
    if kind == "prototype":
        return ";" in _headers(text, name)
    if kind == "struct":
        return bool(re.search(rf"\b(?:struct|union)\s+{word}\s*\{{", text))
    if kind == "extern":
        return bool(re.search(rf"(?m)^[ \t]*extern\b[^;(]*\b{word}\b", text))
    if kind == "global":
        return _global(text, word)
    if kind == "field":
        tag, _, member = name.partition(".")
        return _field(text, tag, member)
    raise ValueError(f"unknown kind {kind}")


def _global(text: str, word: str) -> bool:
    """A column-0 declaration of the name, or a definer macro naming it last (DEFINE_PER_CPU)."""
    plain = rf"(?m)^(?![ \t#}}])[^\n(;]*\b{word}\b\s*(?:\[[^\]\n]*\]\s*)*(?:=|;|__\w+)"
    definer = rf"(?m)^(?![ \t#])[^\n;]*\b[A-Z][A-Z0-9_]*\([^;\n]*\b{word}\)\s*[;=]"
    return bool(re.search(plain, text) or re.search(definer, text))


def _field(text: str, tag: str, member: str) -> bool:
    word = re.escape(member)
    for match in re.finditer(rf"\b(?:struct|union)\s+{re.escape(tag)}\s*\{{", text):
        end = _close(text, match.end() - 1, "{", "}")
        body = text[match.end() : end]
        plain = rf"\b{word}\s*(?:\[[^\]]*\]\s*)*(?::\s*\w+\s*)?[;,]"
        pointer = rf"\(\s*\*\s*{word}\s*\)\s*\("
        if re.search(plain, body) or re.search(pointer, body):
            return True
    return False
