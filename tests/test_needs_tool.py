"""tests/conftest.py:require_tool, behind the needs_tool marker: a missing tool skips the
test outside CI and fails it under CI=true; /dev/null bound over a tool hides it."""

from __future__ import annotations

import os
import sys

import pytest

from tests.conftest import require_tool


def test_a_missing_program_skips_naming_it_and_its_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match=r"needs no-such-tool-x \(apt-get install x\)"):
        require_tool("no-such-tool-x", apt="x")


def test_a_missing_file_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"/nonexistent/linux\.tar\.xz.*CI=true"):
        require_tool("/nonexistent/linux.tar.xz", apt="linux-source-6.1")


def test_one_of_the_names_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require_tool("no-such-tool-x", os.path.basename(sys.executable), apt="python3")
    require_tool("/nonexistent", sys.executable, apt="python3")


def test_dev_null_in_place_of_a_tool_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `.ci/bare` does: a bind mount of /dev/null over the tool's file."""
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        require_tool(os.devnull, apt="x")
