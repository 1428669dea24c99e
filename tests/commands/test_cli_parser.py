"""A run builds only its command's sub-parser: what it parses, its help and its errors are
those of the whole parser, and help or a wrong name still list every command."""

from __future__ import annotations

import argparse

import pytest

from patchscope.cli import COMMANDS, _parser, main


def _exit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int | str | None, str, str]:
    with pytest.raises(SystemExit) as ended:
        main(list(argv))
    captured = capsys.readouterr()
    return ended.value.code, captured.out, captured.err


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    """Each command's sub-parser inside the whole parser."""
    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_help_is_the_whole_parsers(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit(capsys, name, "--help") == (0, _subparsers()[name].format_help(), "")


@pytest.mark.parametrize(
    "argv",
    [
        ["stat", "x.mbox", "--json", "--fail-on", "never"],
        ["-q", "check", "x.mbox", "--no-model", "--tree", "T"],
        ["--qui", "replay", "online", "--stage", "2"],
        ["hook", "run", "pre-commit", "a", "b"],
    ],
)
def test_a_run_parses_as_the_whole_parser_does(argv: list[str]) -> None:
    alone = _parser(next(a for a in argv if a in COMMANDS))
    assert alone.parse_args(argv) == _parser().parse_args(argv)


@pytest.mark.parametrize("argv", [["--help"], ["-h", "stat"], ["-q", "--help", "check"]])
def test_top_level_help_lists_every_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _exit(capsys, *argv)
    listed = out.split("{", 1)[1].split("}", 1)[0].split(",")
    assert (code, sorted(listed)) == (0, sorted(COMMANDS))


def test_a_wrong_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _exit(capsys, "stats", "x.mbox")
    choices = ", ".join(f"'{name}'" for name in _subparsers())
    assert code == 2
    assert err.endswith(f"invalid choice: 'stats' (choose from {choices})\n")


def test_a_command_missing_its_source_names_only_that_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _exit(capsys, "-q", "stat")
    assert code == 2
    assert err.startswith("usage: patchscope stat [-h] [--offline]")
    assert err.endswith("patchscope stat: error: the following arguments are required: source\n")
