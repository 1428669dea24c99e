"""The corpus of real series in ../shared/corpus/, each run once per session in-process.

The mails stay where they are (never copied into the repository); INDEX.json, written
when the corpus was gathered, is the independent record of what each series holds.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from patchscope.cli import main
from tests.conftest import SHARED, skip_or_fail
from tests.integration.conftest import NEEDS_TARBALL
from tests.integration.linux61 import TARBALL, TOP, UNTAR

CORPUS = SHARED / "corpus"
INDEX = CORPUS / "INDEX.json"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads the Linux 6.1 tarball (through `linux61`) needs the tool: marked,
    it skips outside CI without it and runs in CI's needs_tool pass (tests/conftest.py)."""
    for item in items:
        if "linux61" in getattr(item, "fixturenames", ()):
            item.add_marker(NEEDS_TARBALL)


def require_corpus() -> None:
    if not INDEX.exists():
        skip_or_fail(f"{INDEX} is missing (the shared corpus of real series)", "the corpus tests")


def index() -> list[dict[str, Any]]:
    if not INDEX.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(INDEX.read_text())
    return entries


def series_names() -> list[str]:
    """Every series file, or one placeholder that skips when the corpus is missing."""
    return [entry["file"] for entry in index()] or ["(corpus missing)"]


@dataclass(frozen=True)
class Run:
    """One command's exit code and what it printed."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code in (0, 1), self.stderr
        return json.loads(self.stdout)


def run(*argv: str) -> Run:
    """The command as a user types it, in this process; an exception escapes as a traceback."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
        out.flush()
    return Run(code, out.buffer.getvalue().decode(), err.getvalue())  # type: ignore[attr-defined]


@cache
def command(name: str, series: str, *args: str) -> Run:
    """Each command runs once per series per session, whichever test asks first."""
    return run(name, str(CORPUS / series), "--offline", *args)


@pytest.fixture
def series(request: pytest.FixtureRequest) -> str:
    require_corpus()
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def report_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus-reports")


def entities(series: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = command("entities", series, "--json").json()["entities"]
    return found


@pytest.fixture(scope="session")
def linux61(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Linux 6.1's .mailmap, mm/*.c and the files the corpus' entities are reported in,
    in one tar run (decompressing the tarball is the cost, not the files taken)."""
    require_corpus()
    named = {e["file"] for name in series_names() for e in entities(name)}
    paths = sorted({".mailmap", "mm/*.c"} | named)
    dest = tmp_path_factory.mktemp("linux61-corpus")
    done = subprocess.run(
        [*UNTAR, str(TARBALL), "-C", str(dest), "--strip-components=1", "--wildcards"]
        + [f"{TOP}/{path}" for path in paths],
        capture_output=True,
        text=True,
    )
    unexpected = [line for line in done.stderr.splitlines() if "Not found in archive" not in line]
    assert done.returncode in (0, 2) and not [u for u in unexpected if "Exiting" not in u]
    return dest
