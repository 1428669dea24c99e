"""A small generated list archive, built once: versions, replies, an unthreaded series, a broken
one and chatter, dealt across two mbox files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.gen_archive import Built, Spec, build_archive

SPECS = [
    Spec(1, patches=3, versions=2, replies=1),
    Spec(2, patches=2, threaded=False, replies=1),
    Spec(3, patches=3, broken=True),
    Spec(4, patches=1),
    Spec(5, patches=2, replies=2),
]


@dataclass(frozen=True)
class Archive:
    folder: Path
    built: list[Built]


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("archive")
    return Archive(folder, build_archive(folder, SPECS))
