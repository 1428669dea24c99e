"""The limits' flags: each reaches its loader, raising one lets the input through, and the
time limit ends a command that runs too long with one line."""

from __future__ import annotations

import json
import os
import signal
import time
from argparse import Namespace
from pathlib import Path

import pytest

from patchscope import limits
from patchscope.cli import _parser
from tests.hostile import corpus
from tests.hostile.harness import run

SOURCE_COMMANDS = {
    "stat": ["stat", "S"],
    "graph": ["graph", "S"],
    "entities": ["entities", "S"],
    "impact": ["impact", "S", "--patch", "1"],
    "check": ["check", "S"],
    "claims": ["claims", "S"],
    "verdicts": ["verdicts", "S"],
    "report": ["report", "S"],
    "rangediff": ["rangediff", "S", "T"],
    "replay": ["replay", "online", "--series", "S"],
    "batch": ["batch", "S", "-o", "OUT"],
}


@pytest.mark.parametrize("command", SOURCE_COMMANDS)
def test_every_command_reading_a_source_takes_every_limit(command: str) -> None:
    argv = [*SOURCE_COMMANDS[command], "--max-input-bytes", "11", "--max-line-length", "12"]
    argv += ["--max-header-length", "13", "--max-mime-depth", "14", "--max-patches", "15"]
    argv += ["--time-limit", "16.5"]
    assert limits.from_args(_parser().parse_args(argv)) == limits.Limits(11, 12, 13, 14, 15, 16.5)


def test_batch_has_no_time_limit_unless_asked() -> None:
    assert limits.from_args(_parser().parse_args(["batch", "S", "-o", "O"])).time_limit == 0


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--max-line-length", "0"), ("--max-patches", "-3"), ("--time-limit", "nan")],
)
def test_a_limit_must_be_positive(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(capsys, "stat", "x.mbox", flag, value)
    expected = f"patchscope: {flag} must be a positive number, not {value}\n"
    assert (ran.code, ran.err) == (2, expected)


def test_raised_limits_let_the_input_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The twins of the refused 1 MB subject and 500-level nesting, with the limits raised."""
    title = "s" * 999_992
    subject = corpus.write(tmp_path, "subject.eml", corpus.toy_mail(f"[PATCH] {title}"))
    ran = run(capsys, "stat", "--json", str(subject), "--max-header-length", "1000000")
    assert json.loads(ran.out)["patches"][0]["subject"] == title
    deep = corpus.nested(tmp_path, 500)
    ran = run(capsys, "stat", "--json", str(deep), "--max-mime-depth", "500")
    (patch,) = json.loads(ran.out)["patches"]
    assert [f["path"] for f in patch["files"]] == ["mm/toy.c"]


def test_time_limit_ends_the_command_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from patchscope.commands import stat

    def slow(args: Namespace) -> int:
        time.sleep(30)
        return 0

    monkeypatch.setattr(stat, "main", slow)
    ran = run(capsys, "stat", "slow.mbox", "--time-limit", "0.2")
    assert (ran.code, ran.err) == (
        2,
        "patchscope: slow.mbox: still running after 0.2 s, over the time limit "
        "(raise it with --time-limit)\n",
    )
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL


def test_a_fifo_in_the_tree_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Opening a FIFO blocks until someone writes to it; the time limit turns a regression
    into a failure instead of a hang."""
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "toy.c").write_text("int toy_count(int pages)\n{\n\treturn pages;\n}\n")
    os.mkfifo(tree / "mm" / "fifo.c")
    patch = corpus.write(tmp_path, "toy.patch", corpus.toy_mail("[PATCH] toy: double"))
    ran = run(capsys, "graph", str(patch), "--tree", str(tree), "--time-limit", "60")
    assert ran.code == 0
    assert "mm/fifo.c" not in ran.out and "mm/toy.c" in ran.out
