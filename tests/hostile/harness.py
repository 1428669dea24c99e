"""Run the real CLI on hostile input and check the contract every case shares.

One stderr line and exit 2 for input that cannot be used, or a parse; never a
traceback; the input unchanged; nothing written but the output folder and the cache.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from patchscope.cli import main
from tests.conftest import ROOT


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file and link under `roots` (not following links) -> its content's hash."""
    seen: dict[str, str] = {}
    for root in roots:
        for top, dirs, names in os.walk(root):
            for name in [*dirs, *names]:
                path = Path(top) / name
                if path.is_symlink():
                    seen[str(path)] = "-> " + os.readlink(path)
                elif path.is_file():
                    seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    seen[str(path)] = "dir"
    return seen


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """One in-process CLI run; a refused input must say so in exactly one line."""
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("patchscope: "), err
    return Ran(code, out, err)


def run_process(cwd: Path, env: dict[str, str], *args: str) -> Ran:
    """The CLI as its own process: proves no traceback ever reaches stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "patchscope.cli", *args],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    return Ran(done.returncode, done.stdout, done.stderr)
