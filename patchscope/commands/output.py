"""Output helpers every command shares."""

from __future__ import annotations

import json
import sys


def write_json(document: object) -> None:
    """Indented for a person at a terminal; compact (and C-encoded, several times faster)
    for a pipe or a file. Both are deterministic."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, indent=indent) + "\n")
