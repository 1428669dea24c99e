"""Text from mail made safe to show: an error line, a terminal table, a finding."""

from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, the Unicode line and paragraph separators, and the
# bidirectional overrides that reorder text.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` as a terminal may show it: a control character (an escape sequence can move the
    cursor over a finding, retitle the window or fill the clipboard; a line break splits a
    one-line message) or a bidi override, written as a Python literal writes it."""
    return _UNPRINTABLE.sub(lambda found: ascii(found[0])[1:-1], text)
