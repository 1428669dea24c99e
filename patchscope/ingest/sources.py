"""SOURCE detection: mbox, .patch/.eml, format-patch directory, git range, lore id, manifest."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope import limits
from patchscope.digest import sha256_hex
from patchscope.errors import MailError, PatchscopeError, SourceError
from patchscope.ingest import GIT_PREFIX
from patchscope.ingest.mail import Mail, Person, read_mbox

if TYPE_CHECKING:
    from patchscope.ingest.manifest import Manifest

MAIL_SUFFIXES = (".patch", ".eml", ".mbox")

# A diff with no mail around it: what `git diff`, `diff -u` or `svn diff` print first.
_BARE_DIFF = re.compile(rb"(diff --git |--- |Index: )")


@dataclass(frozen=True)
class Loaded:
    """The mails a source gave, and what messages call it."""

    mails: tuple[Mail, ...]
    origin: str  # what was read, for messages: a path, a git range, a URL
    name: str | None  # the manifest's series name, when a manifest was given
    message_id: str | None  # the manifest's or the lore id asked for


def load(source: str, *, offline: bool = False) -> Loaded:
    """Read SOURCE as the first kind it can be: git range, directory, manifest, file, lore id.

    The gitrange, manifest and lore modules load only for a source that needs them: most
    runs read a file."""
    if source.startswith(GIT_PREFIX):
        return _load_git(source)
    path = Path(source)
    if path.is_dir() or path.is_file():
        if path.suffix == ".toml" and path.is_file():
            from patchscope.ingest.manifest import read_manifest

            return _load_manifest(read_manifest(path), offline=offline)
        return Loaded(_read_path(path), source, None, None)
    from patchscope.ingest import lore

    msgid = lore.as_message_id(source)
    if msgid is None:
        raise SourceError(f"no such file or directory: {source}")
    return _load_thread(msgid, lore.thread_mbox(msgid, offline=offline))


def _load_git(source: str) -> Loaded:
    from patchscope.ingest import gitrange

    spec = gitrange.parse_range(source)
    data = _within_limits(gitrange.format_patch(spec), spec.spec)
    return Loaded(tuple(read_mbox(data, spec.spec)), spec.spec, None, None)


def _load_thread(msgid: str, mbox: Path, name: str | None = None) -> Loaded:
    return Loaded(tuple(read_mbox(_read_bytes(mbox), str(mbox))), str(mbox), name, msgid)


def _load_manifest(manifest: Manifest, *, offline: bool) -> Loaded:
    """The first of the manifest's sources that yields mail; one line naming all that failed."""
    failures = []
    for entry in manifest.sources:
        try:
            return _load_entry(manifest, entry, offline=offline)
        except PatchscopeError as exc:
            failures.append(f"{entry} ({exc})")
    raise SourceError(f"{manifest.path}: no source could be read: {'; '.join(failures)}")


def _load_entry(manifest: Manifest, entry: str, *, offline: bool) -> Loaded:
    from patchscope.ingest import lore
    from patchscope.ingest.manifest import CACHE, LORE

    msgid = manifest.message_id
    if entry == CACHE:
        return _load_thread(msgid, lore.cached_thread(msgid), manifest.name)
    if entry == LORE:
        return _load_thread(msgid, lore.thread_mbox(msgid, offline=offline), manifest.name)
    path = manifest.resolve(entry)
    if not (path.is_dir() or path.is_file()):
        raise SourceError(f"no such file or directory: {path}")
    return Loaded(_read_path(path), str(path), manifest.name, msgid)


def _read_path(path: Path) -> tuple[Mail, ...]:
    return _read_directory(path) if path.is_dir() else tuple(_read_file(path))


def _read_directory(folder: Path) -> tuple[Mail, ...]:
    """format-patch output: numbered file names make name order the series order.

    A link to a file outside the folder is not followed: the folder is what was given.
    """
    top = folder.resolve()
    files = sorted(
        (
            item
            for item in folder.iterdir()
            if item.suffix in MAIL_SUFFIXES and item.is_file() and item.resolve().parent == top
        ),
        key=lambda item: item.name,
    )
    if not files:
        raise SourceError(f"{folder} holds no {', '.join(MAIL_SUFFIXES)} files")
    sizes = [item.stat().st_size for item in files]
    limits.check(str(folder), "the size of its mail files together", sum(sizes), "max_input_bytes")
    return tuple(mail for item in files for mail in _read_file(item))


def _read_file(path: Path) -> list[Mail]:
    """An mbox or one mail; a bare diff becomes one mail so later stages see one shape."""
    data = _read_bytes(path)
    if not data.strip():
        raise SourceError(f"{path} is empty")
    if _BARE_DIFF.match(data.lstrip()):
        return [_diff_mail(path, data)]
    try:
        return read_mbox(data, str(path))
    except MailError:
        if data.startswith(b"From "):
            raise  # an mbox with one unreadable message: its own line names the message
        raise SourceError(f"{path} is neither a mail nor a diff") from None


def _diff_mail(path: Path, data: bytes) -> Mail:
    """A synthetic mail around a bare diff, its id derived from the content (stable runs)."""
    text = data.replace(b"\r\n", b"\n").decode("utf-8", errors="replace")
    return Mail(
        message_id=f"diff-{sha256_hex(data)[:24]}@patchscope.local",
        in_reply_to=None,
        references=(),
        sender=Person("", ""),
        subject=f"[PATCH] {path.stem}",
        date="",
        to=(),
        cc=(),
        body=text if text.endswith("\n") else text + "\n",
        origin=str(path),
    )


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, never more than the input limit allows (it may grow as we read)."""
    cap = limits.current().max_input_bytes
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            limits.check(str(path), "the size in bytes", size, "max_input_bytes")
            data = handle.read(cap + 1)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from None
    return _within_limits(data, str(path))


def _within_limits(data: bytes, where: str) -> bytes:
    """`data` when its size and its longest line are within the limits; else LimitError."""
    limits.check(where, "the size in bytes", len(data), "max_input_bytes")
    longest = max(map(len, data.split(b"\n")))
    limits.check(where, "the longest line in bytes", longest, "max_line_length")
    return data
