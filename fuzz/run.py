"""atheris targets for long runs by hand: `python -m fuzz.run TARGET [libFuzzer flags] [CORPUS]`.

TARGET is one of loader, batch, compose, facts, report, csv; each feeds the fuzzer's bytes to
the same target body the hypothesis tests run (tests/fuzz/targets.py), with patchscope
instrumented for coverage. See fuzz/README.md.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

from fuzz.make_corpus import PATCH_SEPARATOR, STRING_SEPARATOR

with atheris.instrument_imports(include=["patchscope"]):
    from tests.fuzz import targets

_WORK = Path(tempfile.mkdtemp(prefix="patchscope-fuzz-"))


def loader(data: bytes) -> None:
    targets.load_target(_WORK / "input.mbox", data)


def batch(data: bytes) -> None:
    targets.batch_target(_WORK, data)


def compose(data: bytes) -> None:
    targets.compose_target(data.split(PATCH_SEPARATOR))


def facts(data: bytes) -> None:
    targets.facts_target(data)


def report(data: bytes) -> None:
    strings = [s.decode("utf-8", "replace") for s in data.split(STRING_SEPARATOR)]
    targets.report_target(targets.slots(strings))


def csv(data: bytes) -> None:
    targets.csv_target(data.decode("utf-8", "replace"))


TARGETS: dict[str, Callable[[bytes], None]] = {
    "loader": loader,
    "batch": batch,
    "compose": compose,
    "facts": facts,
    "report": report,
    "csv": csv,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m fuzz.run {{{','.join(TARGETS)}}} [libFuzzer flags] [CORPUS]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
