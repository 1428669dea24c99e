"""SOURCE detection: mbox, .patch/.eml file, format-patch directory, git range, lore id, manifest."""

from __future__ import annotations

from dataclasses import dataclass

from patchscope.ingest.mail import Mail


@dataclass(frozen=True)
class Loaded:
    mails: tuple[Mail, ...]
    origin: str  # what was read, for messages: a path, a git range, a URL
    name: str | None  # the manifest's series name, when a manifest was given
    message_id: str | None  # the manifest's or the lore id asked for


def load(source: str, *, offline: bool = False) -> Loaded:
    raise NotImplementedError
