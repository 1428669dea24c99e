"""The stages in order, for the commands: load -> assemble -> verify."""

from __future__ import annotations

from patchscope.ingest.assemble import assemble
from patchscope.ingest.series import Series
from patchscope.ingest.sources import load


def load_series(source: str, *, offline: bool = False) -> Series:
    loaded = load(source, offline=offline)
    return assemble(loaded.mails, source=source, name=loaded.name)
