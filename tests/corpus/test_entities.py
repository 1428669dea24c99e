"""Every entity the code facts report on the corpus is a C name of the kind claimed.

Checked against Debian's Linux 6.1 sources (the file the entity is reported in) or
against the text the series itself shows for that file (pre- and post-image of every
hunk, or the function header git put in a hunk's hint), read here with the standard
library's mailbox and unidiff, apart from patchscope's own loading.
"""

from __future__ import annotations

import email.policy
import mailbox
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from unidiff import PatchSet

from tests.corpus.conftest import CORPUS, entities, series_names
from tests.corpus.kernel_defs import defines

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?")
_PATCH_SUBJECT = re.compile(r"\[[^\]]*PATCH[^\]]*\]", re.IGNORECASE)
_NUMBER = re.compile(r"(\d+)/(\d+)\]")
_KEYWORDS = frozenset(
    [
        "if",
        "else",
        "for",
        "while",
        "do",
        "switch",
        "case",
        "return",
        "sizeof",
        "goto",
        "break",
        "continue",
        "default",
        "int",
        "long",
        "short",
        "char",
        "void",
        "unsigned",
        "signed",
        "const",
        "volatile",
        "static",
        "inline",
        "extern",
        "struct",
        "union",
        "enum",
        "typeof",
    ]
)


@dataclass
class Shown:
    """What a series shows of one file: each side of each patch, and the hunks' hints."""

    texts: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


@cache
def shown(series: str) -> dict[str, Shown]:
    files: dict[str, Shown] = defaultdict(Shown)
    for message in mailbox.mbox(CORPUS / series, factory=None):
        subject = " ".join(str(message["Subject"] or "").split())
        number = _NUMBER.search(subject)
        if subject.lower().startswith("re:") or not _PATCH_SUBJECT.search(subject):
            continue
        if number and number.group(1) == "0":
            continue
        body = _body(message)
        start = body.find("diff --git ")
        if start < 0:
            continue
        for patched in PatchSet(body[start:].split("\n-- \n")[0]):
            for path in {patched.source_file[2:], patched.target_file[2:]}:
                one = files[path]
                one.texts.append("\n\n".join(_side(h, "before") for h in patched))
                one.texts.append("\n\n".join(_side(h, "after") for h in patched))
                one.hints.extend(h.section_header for h in patched)
    return files


def _body(message: Any) -> str:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain",)) if parsed.is_multipart() else parsed
    assert part is not None
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8", errors="replace")


def _side(hunk: Any, side: str) -> str:
    kept = " -" if side == "before" else " +"
    return "\n".join(line.value.rstrip("\n") for line in hunk if line.line_type in kept)


def _real(entity: dict[str, Any], tree: Path, series: str) -> bool:
    kind, name, path = entity["kind"], entity["name"], entity["file"]
    base = name.split(".")[0]
    if not _IDENTIFIER.fullmatch(name) or base in _KEYWORDS:
        return False
    source = tree / path
    if source.is_file() and defines(source.read_text(errors="replace"), kind, name):
        return True
    one = shown(series).get(path, Shown())
    if any(defines(text, kind, name) for text in one.texts):
        return True
    # git's hint is the line of the pre-image where the enclosing function begins
    return kind == "function" and any(
        re.match(rf"[\w\s*]*\b{re.escape(name)}\s*\(", hint) for hint in one.hints
    )


@pytest.mark.parametrize("series", series_names(), indirect=True)
def test_every_entity_is_a_c_name_of_its_kind(series: str, linux61: Path) -> None:
    wrong = [
        (e["patch"], e["kind"], e["name"], e["file"])
        for e in entities(series)
        if not _real(e, linux61, series)
    ]
    assert wrong == []


def test_the_check_tells_kinds_apart() -> None:
    """The checker itself: a macro is no function, a local is no global, a field has its tag."""
    text = (
        "#define pmd_huge(x) 0\n"
        "static DEFINE_PER_CPU(struct pcp, boot_pageset);\n"
        "struct zone {\n\tunsigned long flags;\n\tvoid (*init)(int);\n};\n"
        "int __meminit grow(int nid)\n{\n\tvoid *p;\n\treturn nid;\n}\n"
        "int grow_all(int nid);\n"
    )
    assert defines(text, "macro", "pmd_huge") and not defines(text, "function", "pmd_huge")
    assert defines(text, "global", "boot_pageset") and not defines(text, "global", "p")
    assert defines(text, "field", "zone.flags") and defines(text, "field", "zone.init")
    assert not defines(text, "field", "page.flags")
    assert defines(text, "function", "grow") and not defines(text, "prototype", "grow")
    assert defines(text, "prototype", "grow_all") and not defines(text, "function", "grow_all")
    assert not defines(text, "function", "if")
