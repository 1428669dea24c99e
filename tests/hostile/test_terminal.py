"""What a mail holds reaches a terminal as text: no rich markup (a path like mm/[/x].c made
`check` crash at a terminal), no escape sequence, no line break inside a one-line message."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from patchscope.printable import printable
from tests.hostile import corpus
from tests.hostile.harness import run

# Retitle the window, erase the line above (where a finding would be), then rich markup.
ESCAPES = "\x1b]0;pwned\x07\x1b[1A\x1b[2K"
MARKUP_PATH = "mm/[/x].c"
SUBJECT = f"toy: {ESCAPES}[bold]loud[/bold] \u202eevil"


def _patch(where: Path) -> Path:
    """A patch whose subject carries escapes and whose diffstat lacks its one file's path."""
    text = (
        "From: Kim Writer <kim@example.org>\n"
        f"Subject: [PATCH] {SUBJECT}\n"
        "Message-Id: <tty@example.org>\n\n"
        "Signed-off-by: Kim Writer <kim@example.org>\n---\n"
        " mm/other.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
        f"diff --git a/{MARKUP_PATH} b/{MARKUP_PATH}\nnew file mode 100644\n"
        f"index 0000000..1111111\n--- /dev/null\n+++ b/{MARKUP_PATH}\n@@ -0,0 +1 @@\n+int x;\n"
    )
    return corpus.write(where, "tty.patch", text)


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
@pytest.mark.parametrize("command", ["stat", "check", "entities", "rangediff"])
def test_mail_text_is_shown_not_obeyed(
    command: str,
    tty: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    patch = str(_patch(tmp_path))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    sources = [patch, patch] if command == "rangediff" else [patch]
    ran = run(capsys, command, *sources)
    assert ran.code in (0, 1) and ran.err == ""
    assert "\x1b]" not in ran.out and "\x1b[1A" not in ran.out and "\u202e" not in ran.out
    shown = "".join(ran.out.split())  # rich wraps long cells over several lines
    if command in ("check", "entities"):
        assert MARKUP_PATH in shown
    if command in ("stat", "rangediff"):  # the subject's escapes, shown as literals
        assert "\\x1b]0;pwned\\x07\\x1b[1A\\x1b[2K[bold]loud" in shown
        assert "\\u202eevil" in shown


def test_an_error_stays_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    ran = run(capsys, "stat", "no\nsuch\x1b[2K.mbox")
    assert ran.err == "patchscope: no such file or directory: no\\nsuch\\x1b[2K.mbox\n"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("tab\tstays", "tab\tstays"),
        ("line\nbreak", "line\\nbreak"),
        ("nul\x00del\x7fc1\x9b", "nul\\x00del\\x7fc1\\x9b"),
        ("bidi\u202eiqs.c", "bidi\\u202eiqs.c"),
        ("größer [bold]", "größer [bold]"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_a_path_holding_escapes_is_shown_by_impact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """git quotes such a path ("b/mm/\\033]0;..."); unquoted, it must not reach the terminal."""
    quoted = '"{side}/mm/\\033]0;pwned\\007x.c"'
    old, new = quoted.format(side="a"), quoted.format(side="b")
    diff = (
        f"diff --git {old} {new}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ {new}\n@@ -0,0 +1,4 @@\n+int x(void)\n+{{\n+\treturn 1;\n+}}\n"
    )
    mail = corpus.toy_mail("[PATCH] toy: a path with escapes").split("---\n", 1)[0] + "---\n"
    patch = corpus.write(tmp_path, "escapes.patch", mail + diff)
    ran = run(capsys, "impact", str(patch), "--patch", "1")
    assert "function:mm/\\x1b]0;pwned\\x07x.c:x" in ran.out.split()
    assert "\x1b" not in ran.out and "\x07" not in ran.out
