"""Output helpers every command shares."""

from __future__ import annotations

import json
import sys

from patchscope.printable import printable


def write_json(document: object) -> None:
    """Indented for a person at a terminal; compact (and C-encoded, several times faster)
    for a pipe or a file. Both are deterministic."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, indent=indent) + "\n")


def write_text(text: str) -> None:
    """Plain-text output, line by line made printable; its own newlines stay."""
    sys.stdout.write("\n".join(printable(line) for line in text.split("\n")))
