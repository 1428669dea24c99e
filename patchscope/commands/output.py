"""Output helpers every command shares."""

from __future__ import annotations

import json
import re
import sys

# C0 controls but tab, DEL, C1 controls, and the bidirectional overrides that reorder text.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def write_json(document: object) -> None:
    """Indented for a person at a terminal; compact (and C-encoded, several times faster)
    for a pipe or a file. Both are deterministic."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, indent=indent) + "\n")


def printable(text: str) -> str:
    """Text from a mail as a terminal may show it: a control character (an escape sequence
    can move the cursor over a finding, retitle the window or fill the clipboard; a newline
    breaks a one-line message) or a bidi override, written as a Python literal writes it."""
    return _UNPRINTABLE.sub(lambda found: ascii(found[0])[1:-1], text)


def write_text(text: str) -> None:
    """Plain-text output, line by line made printable; its own newlines stay."""
    sys.stdout.write("\n".join(printable(line) for line in text.split("\n")))
