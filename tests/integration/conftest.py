"""A real kernel tree for the integration tests: Linux 6.1, unpacked once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.linux61 import TARBALL, commit_tree, unpack

# What the tests read: MAINTAINERS and the kernel's own get_maintainer.pl (the expected
# recipients), and the folders where arch_add_memory is declared, defined and called.
MEMBERS = [
    "MAINTAINERS",
    "scripts/get_maintainer.pl",
    "mm/*",
    "include/linux/*",
    "arch/*/mm/*",
]


# On every test that uses the tree (tests/conftest.py:require_tool).
NEEDS_TARBALL = pytest.mark.needs_tool(str(TARBALL), apt="linux-source-6.1")


@pytest.fixture(scope="session")
def linux61(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of the unpacked parts, one commit, work tree at that commit."""
    repo = unpack(TARBALL, tmp_path_factory.mktemp("linux61") / "linux", MEMBERS)
    commit_tree(repo)
    return repo
