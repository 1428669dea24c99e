"""Find every series in the SOURCEs: read each mail file once, group, and make picklable tasks.

A folder is searched recursively for mail files (.mbox, .patch, .eml), each read alone so that
one unreadable file costs only itself; any other SOURCE is read as `patchscope stat` reads it.
A series has a model when a manifest (the repository's `series/*.toml`, or one given as a
SOURCE) names its message-id and a stage module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from patchscope.batch.threads import Sourced, group_series
from patchscope.errors import PatchscopeError
from patchscope.ingest.mail import Mail
from patchscope.ingest.manifest import modelled
from patchscope.ingest.sources import MAIL_SUFFIXES, load
from patchscope.model.claims import Claim, read_claims


@dataclass(frozen=True)
class SeriesTask:
    """One series as it travels to a worker: its mails, decoded, and its model if any."""

    key: str
    source: str
    title: str
    version: int
    mails: tuple[Mail, ...]
    model: Model | None = None
    reposts: tuple[str, ...] = ()  # keys of the other postings of the same series


@dataclass(frozen=True)
class Model:
    """What a manifest says of its series, read here so that a worker needs no file of ours."""

    name: str  # the manifest's series name
    module: str  # the stage module under patchscope.model.memory_hotplug.series
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Unreadable:
    """A mail file that could not be read: recorded as a failed entry, the rest goes on."""

    source: str
    error: str


@dataclass(frozen=True)
class Discovery:
    tasks: tuple[SeriesTask, ...]  # ordered by key
    unreadable: tuple[Unreadable, ...]


def discover(sources: Sequence[str], *, offline: bool = False) -> Discovery:
    sourced: list[Sourced] = []
    unreadable: list[Unreadable] = []
    manifests: list[Path] = []
    for source in sources:
        if source.endswith(".toml") and Path(source).is_file():
            manifests.append(Path(source))
        for name in _files(source):
            try:
                mails = load(name, offline=offline).mails
            except PatchscopeError as exc:
                unreadable.append(Unreadable(name, str(exc)))
                continue
            sourced += [Sourced(name, source, mail) for mail in mails]
    models = _models(manifests)
    tasks = tuple(
        SeriesTask(s.key, s.source, s.title, s.version, s.mails, _model(s.mails, models), s.reposts)
        for s in group_series(sourced)
    )
    return Discovery(tasks, tuple(unreadable))


def _files(source: str) -> Iterator[str]:
    """A folder's mail files (as paths under the folder given), else the SOURCE itself."""
    folder = Path(source)
    if not folder.is_dir():
        yield source
        return
    for path in sorted(folder.rglob("*")):
        if path.suffix in MAIL_SUFFIXES and path.is_file():
            yield str(path)


def _model(mails: tuple[Mail, ...], models: dict[str, Model]) -> Model | None:
    return next((models[m.message_id] for m in mails if m.message_id in models), None)


def _models(manifests: list[Path]) -> dict[str, Model]:
    """message-id -> the model of the manifest naming it (the repository's, then those given;
    a later manifest wins)."""
    return {
        mid: Model(m.name, module, read_claims(m.path))
        for mid, (module, m) in modelled(manifests).items()
    }
