"""Lore threads: message-id recognition, the download of t.mbox.gz, and the local cache."""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from patchscope import __version__, limits
from patchscope.digest import sha256_hex
from patchscope.errors import LimitError, SourceError

DEFAULT_BASE = "https://lore.kernel.org/all"
TIMEOUT_SECONDS = 30
_CHUNK = 64 * 1024

# RFC 5322 msg-id: dot-atom-text "@" (dot-atom-text / no-fold-literal). Written by hand:
# neither email.headerregistry nor email.utils checks a bare id without parsing a header.
_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_MSGID = re.compile(rf"{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[!-Z^-~]*\])")


def as_message_id(text: str) -> str | None:
    """The id `text` names, or None when it cannot be one.

    `<id>` may hold anything an id can; a bare `local@host` must not contain '/',
    so that a mistyped path is reported as missing rather than sent to lore.
    """
    if text.startswith("<") and text.endswith(">"):
        inner = text[1:-1]
        return inner if _MSGID.fullmatch(inner) else None
    if "/" in text or not _MSGID.fullmatch(text):
        return None
    return text


def thread_url(msgid: str) -> str:
    """Where lore serves the gzipped mbox of the whole thread around `msgid`."""
    base = os.environ.get("PATCHSCOPE_LORE_URL") or DEFAULT_BASE
    return f"{base.rstrip('/')}/{urllib.parse.quote(msgid, safe='@')}/t.mbox.gz"


def cache_dir() -> Path:
    """PATCHSCOPE_CACHE_DIR, else the XDG cache home; empty variables count as unset."""
    explicit = os.environ.get("PATCHSCOPE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "patchscope"


def cache_path(msgid: str) -> Path:
    """One file per thread; percent-quoting keeps '/' out and distinct ids distinct."""
    name = urllib.parse.quote(msgid, safe="@+=-._")
    if len(name) > 200:  # stay well under the usual 255-byte file-name limit
        name = sha256_hex(msgid.encode())
    return cache_dir() / "lore" / f"{name}.mbox"


def cached_thread(msgid: str) -> Path:
    """The cached mbox of `msgid`, without touching the network."""
    path = cache_path(msgid)
    if not path.is_file():
        raise SourceError(f"{msgid} is not in the cache ({path})")
    return path


def thread_mbox(msgid: str, *, offline: bool) -> Path:
    """The thread's mbox in the cache, downloaded first when it is not there yet."""
    path = cache_path(msgid)
    if path.is_file():
        return path
    if offline:
        raise SourceError(f"{msgid} is not in the cache and --offline forbids the network")
    _download(msgid, path)
    return path


def _network_errors() -> tuple[type[Exception], ...]:
    """Reading a response can fail only on the network side (reset, timeout, TLS, short read)."""
    import http.client

    return (OSError, http.client.HTTPException)


def _download(msgid: str, target: Path) -> None:
    # urllib, http and ssl cost a tenth of stat's start-up: only a download imports them.
    import urllib.error
    import urllib.request

    url = thread_url(msgid)
    request = urllib.request.Request(url, headers={"User-Agent": f"patchscope/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            _store(msgid, response, target)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise SourceError(f"lore has no thread for {msgid}") from None
        raise SourceError(f"lore unreachable: HTTP {exc.code} {exc.reason} for {url}") from None
    except urllib.error.URLError as exc:
        raise SourceError(f"lore unreachable: {_why(exc.reason)}") from None
    except _network_errors() as exc:
        raise SourceError(f"lore unreachable: {_why(exc)}") from None


def _why(failure: object) -> str:
    """A network failure in a few words: the system's description of an OS error (without
    Python's "[Errno N]"), else what kind of failure it was."""
    import http.client

    if isinstance(failure, str):
        return failure
    if isinstance(failure, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS} s"
    if isinstance(failure, http.client.IncompleteRead):
        return "the answer was cut short"
    if isinstance(failure, OSError) and failure.strerror:
        return failure.strerror
    return "the connection failed"


def _store(msgid: str, compressed: BinaryIO, target: Path) -> None:
    """Gunzip into a temporary file beside `target`, then rename: readers never see half."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".download-", suffix=".tmp")
    except OSError as exc:
        raise SourceError(f"cannot write the lore cache {target.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in _gunzip_capped(msgid, compressed):
                out.write(chunk)
        os.replace(tmp_name, target)
    except OSError as exc:  # network and gzip errors arrive as SourceError
        raise SourceError(f"cannot write the lore cache {target}: {exc.strerror}") from None
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def _gunzip_capped(msgid: str, compressed: BinaryIO) -> Iterator[bytes]:
    """Decompress chunk by chunk and stop at the input limit, so a gzip bomb costs no memory."""
    import gzip
    import zlib

    cap = limits.current().max_input_bytes
    total = 0
    try:
        with gzip.GzipFile(fileobj=compressed, mode="rb") as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise LimitError(
                        f"lore thread {msgid} is larger than {cap:,} bytes uncompressed, "
                        f"the limit (raise it with {limits.flag('max_input_bytes')})"
                    )
                yield chunk
    except gzip.BadGzipFile:
        raise SourceError(f"lore sent a broken gzip stream for {msgid}: not gzip") from None
    except EOFError:
        raise SourceError(f"lore sent a broken gzip stream for {msgid}: it ends early") from None
    except zlib.error:
        raise SourceError(f"lore sent a broken gzip stream for {msgid}: corrupt data") from None
    except _network_errors() as exc:
        raise SourceError(f"lore unreachable: {_why(exc)}") from None
