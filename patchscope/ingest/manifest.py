"""Series manifests (`series/NAME.toml`): a series' name, message-id and where its mbox lives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchscope.errors import SourceError
from patchscope.ingest.lore import as_message_id

# The repository's manifests, and the one `replay` and `kernel` read when given no --series.
REPOSITORY_SERIES = Path(__file__).resolve().parents[2] / "series"
DEFAULT_SERIES = REPOSITORY_SERIES / "memmap-hotadd-rfc-v2.toml"
CACHE = "cache"  # the lore cache entry of the manifest's message-id
LORE = "lore"  # download the thread of the manifest's message-id


@dataclass(frozen=True)
class Manifest:
    """A series manifest (.toml): name, message-id, where to read it, its model."""

    path: Path
    name: str
    message_id: str  # without angle brackets
    sources: tuple[str, ...]  # as written: relative paths, "cache" or "lore", tried in order
    model: str | None = None  # the stage module under patchscope.model.memory_hotplug.series

    def resolve(self, entry: str) -> Path:
        """A path entry means a place relative to the manifest's own folder, not the cwd."""
        return self.path.parent / entry


def read_manifest(path: Path) -> Manifest:
    """Parse and check the keys every manifest needs; other keys belong to later stages."""
    import tomllib  # here: a series read from mail never pays for the TOML parser

    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:  # tomllib recurses per level
        raise SourceError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror}") from None
    return Manifest(
        path=path,
        name=_text(path, table, "name"),
        message_id=_message_id(path, table),
        sources=_sources(path, table),
        model=_text(path, table, "model") if "model" in table else None,
    )


def _text(path: Path, table: dict[str, Any], key: str) -> str:
    if key not in table:
        raise SourceError(f"{path}: missing key '{key}'")
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise SourceError(f"{path}: '{key}' must be a non-empty string")
    return value.strip()


def _message_id(path: Path, table: dict[str, Any]) -> str:
    text = _text(path, table, "message_id")
    msgid = as_message_id(text if text.startswith("<") else f"<{text}>")
    if msgid is None:
        raise SourceError(f"{path}: 'message_id' is not a message-id: {text}")
    return msgid


def _sources(path: Path, table: dict[str, Any]) -> tuple[str, ...]:
    if "sources" not in table:
        raise SourceError(f"{path}: missing key 'sources'")
    value = table["sources"]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise SourceError(f"{path}: 'sources' must be a non-empty list of strings")
    return tuple(value)


def modelled(given: Iterable[Path] = ()) -> dict[str, tuple[str, Manifest]]:
    """message-id -> (stage module, manifest) of every manifest naming a model: the
    repository's, then those given (a later manifest wins)."""
    found: dict[str, tuple[str, Manifest]] = {}
    for path in [*sorted(REPOSITORY_SERIES.glob("*.toml")), *given]:
        manifest = read_manifest(path)
        if manifest.model is not None:
            found[manifest.message_id] = (manifest.model, manifest)
    return found
