"""What the fuzzers found, each pinned by the smallest mail that showed it."""

from __future__ import annotations

import csv
import io

from patchscope.pipeline import load_series
from patchscope.report.tables import csv_bytes, table
from patchscope.verify import verify
from tests.conftest import ROOT

FOUND = ROOT / "tests" / "fixtures" / "hostile" / "fuzz"
REPLACEMENT = "\ufffd"


def test_charset_that_is_no_text_encoding_reads_as_utf8() -> None:
    """rot13 and base64 are codecs but no charsets: the 8-bit byte reads as bad UTF-8."""
    patch = load_series(str(FOUND / "charset-not-text.eml")).patches[0]
    assert patch.sender.name == "Xvz Jevgre"  # taken as UTF-8, not rot13-decoded
    assert patch.subject.title == f"toy: caf{REPLACEMENT} count"
    assert f"caf{REPLACEMENT}." in patch.message
    assert [(f.path, f.added, f.removed) for f in patch.files] == [("mm/toy.c", 1, 1)]


def test_codec_without_replace_reads_as_utf8() -> None:
    """idna and punycode refuse errors="replace"; the bytes are then read as UTF-8."""
    patch = load_series(str(FOUND / "charset-no-replace.eml")).patches[0]
    assert patch.sender.name == f"J{REPLACEMENT}rg"
    assert patch.subject.title == f"toy: na{REPLACEMENT}ve count"
    assert f"na{REPLACEMENT}ve." in patch.message


def test_huge_total_is_one_run_of_missing_patches() -> None:
    """1/999999999999 once looped over every N; the gap is now named as one run."""
    series = load_series(str(FOUND / "numbering-huge-total.eml"))
    total = 999_999_999_999
    assert [p.total for p in series.patches] == [total]
    incomplete = [f.message for f in series.findings if f.rule == "incomplete-series"]
    assert incomplete == [f"incomplete series: 2/{total} to {total}/{total} missing"]


def _replay_failures(name: str) -> list[str]:
    verified = verify(load_series(str(FOUND / name)))
    assert verified.composed is None
    return [f.message for f in verified.findings if f.rule == "replay-failed"]


def test_file_and_folder_of_one_name_fails_the_replay() -> None:
    """`mm` and `mm/toy.c` in one tree once crashed writing the composed trees."""
    assert _replay_failures("file-and-folder.mbox") == [
        "the base tree holds 'mm' as a file and 'mm/toy.c'"
    ]


def test_path_naming_a_folder_fails_the_replay() -> None:
    """`b/mm/` once became a file `mm` in the composed trees."""
    failures = _replay_failures("path-names-a-folder.mbox")
    assert failures == ["patch 1/1: not a plain file path 'mm/'"]


def test_stray_8bit_line_among_headers_starts_the_body() -> None:
    """A non-header line with 8-bit bytes once crashed joining it to the body."""
    patch = load_series(str(FOUND / "stray-8bit-header-line.eml")).patches[0]
    assert patch.message.startswith("Jörg's mailer wrote this line\nContent-Type: text/plain")
    assert [(p.name, p.email) for p in patch.signed_off_by] == [("Jörg Rödel", "joerg@example.org")]
    assert [(f.path, f.added, f.removed) for f in patch.files] == [("mm/toy.c", 1, 1)]


def test_carriage_return_inside_a_cell_cannot_start_a_row() -> None:
    """The csv writer left a lone CR unquoted, so `x<CR>=cmd()` read back as two rows, the
    second a formula no neutralisation had seen."""
    written = csv_bytes(table([{"subject": "x\r=cmd()", "author": "Kim"}], ("subject", "author")))
    rows = list(csv.reader(io.StringIO(written.decode(), newline="")))
    assert rows == [["subject", "author"], ["x\n=cmd()", "Kim"]]


def test_line_break_in_a_path_stays_on_the_error_line() -> None:
    """git C-quotes a name holding a newline; unquoted, it once split the error in two."""
    assert _replay_failures("quoted-newline-path.diff") == [
        "patch 1/1: mm/new\\nline.c hunk @@ -1,2 +1,2 @@ (diff line 8): overlaps the hunk before it"
    ]


def test_nul_in_a_path_fails_the_replay() -> None:
    """No file name holds a NUL: writing the composed trees once raised ValueError."""
    assert _replay_failures("nul-in-path.mbox") == ["patch 1/1: unsafe file path 'mm/\\x00toy.c'"]


def test_renamed_file_at_a_line_no_file_has_fails_the_replay() -> None:
    """A renamed file is written one filler per line: line 10**20 once took all memory."""
    assert _replay_failures("rename-at-huge-line.mbox") == [
        "patch 1/1: mm/new.c hunk @@ -99999999999999999999 +1 @@ (diff line 7): "
        "names line 99999999999999999999, past the 1000000 replayed"
    ]


def test_broken_base64_word_is_kept_as_sent() -> None:
    """An encoded word whose base64 cannot decode once raised HeaderParseError (atheris)."""
    patch = load_series(str(FOUND / "bad-base64-word.eml")).patches[0]
    assert patch.sender.name == "=?utf-8?b?a?="
    recipients = [(p.name, p.email) for p in patch.recipients]
    assert recipients == [("=?utf-8?b?abcde?=", "lee@example.org")]
    assert patch.subject.title == "toy: =?utf-8?b?x?= broken words"


def test_nul_in_a_charset_name_reads_as_utf8() -> None:
    """codecs.lookup raises ValueError on a NUL in the name (atheris)."""
    patch = load_series(str(FOUND / "nul-in-charset.eml")).patches[0]
    assert (patch.sender.name, patch.sender.email) == ("Kim Writer", "kim@example.org")
    assert [p.email for p in patch.signed_off_by] == ["kim@example.org"]


def test_8bit_charset_name_before_a_stray_line() -> None:
    """The stray line was re-decoded in the declared charset, whose 8-bit name raised (atheris)."""
    patch = load_series(str(FOUND / "charset-8bit-name-stray-line.eml")).patches[0]
    assert patch.message.startswith("stray line café\n")
    assert [(f.path, f.added, f.removed) for f in patch.files] == [("mm/toy.c", 1, 1)]
