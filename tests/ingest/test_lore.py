"""Lore download, cache and message-id detection, against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import re
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from patchscope import limits
from patchscope.errors import LimitError, SourceError
from patchscope.ingest import lore
from patchscope.ingest.sources import load
from tests.conftest import closed_port

THREAD = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "thread.mbox"
MSGID = "toy-0@example.org"


@dataclass
class Lore:
    """A fake lore: URL path -> (status, body); every request is recorded."""

    url: str
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, User-Agent)

    def serve(self, msgid_path: str, body: bytes, status: int = 200) -> None:
        self.routes[f"/all/{msgid_path}/t.mbox.gz"] = (status, body)


@pytest.fixture
def fake_lore(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Lore]:
    state = Lore(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("User-Agent", "")))
            status, body = state.routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/all"
    monkeypatch.setenv("PATCHSCOPE_LORE_URL", state.url)
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    yield state
    server.shutdown()
    server.server_close()


def message_ids(mbox: bytes) -> list[str]:
    return re.findall(r"^Message-Id: <([^>]+)>", mbox.decode(), flags=re.MULTILINE | re.I)


def test_download_then_reuse_without_network(fake_lore: Lore, tmp_path: Path) -> None:
    fake_lore.serve(MSGID, gzip.compress(THREAD.read_bytes()))
    first = load(MSGID)
    second = load(f"<{MSGID}>")
    assert len(fake_lore.requests) == 1
    assert [mail.message_id for mail in first.mails] == message_ids(THREAD.read_bytes())
    assert second == first
    assert first.message_id == MSGID
    cached = tmp_path / "cache" / "lore" / f"{MSGID}.mbox"
    assert cached.read_bytes() == THREAD.read_bytes()
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no temporary left


def test_request_quotes_the_id_and_names_itself(fake_lore: Lore) -> None:
    fake_lore.serve("a%2Fb@example.org", gzip.compress(THREAD.read_bytes()))
    load("<a/b@example.org>")
    path, agent = fake_lore.requests[0]
    assert path == "/all/a%2Fb@example.org/t.mbox.gz"
    assert agent.startswith("patchscope/")


def test_offline_uses_the_cache(fake_lore: Lore) -> None:
    fake_lore.serve(MSGID, gzip.compress(THREAD.read_bytes()))
    online = load(MSGID)
    offline = load(MSGID, offline=True)
    assert offline == online
    assert len(fake_lore.requests) == 1


def test_offline_without_cache_refuses(fake_lore: Lore) -> None:
    fake_lore.serve(MSGID, gzip.compress(THREAD.read_bytes()))
    with pytest.raises(SourceError) as caught:
        load(MSGID, offline=True)
    assert str(caught.value) == (
        "toy-0@example.org is not in the cache and --offline forbids the network"
    )
    assert caught.value.exit_code == 2
    assert fake_lore.requests == []


def test_missing_thread_is_404(fake_lore: Lore) -> None:
    with pytest.raises(SourceError) as caught:
        load("nothing-here@example.org")
    assert str(caught.value) == "lore has no thread for nothing-here@example.org"
    assert len(fake_lore.requests) == 1


def test_server_error_is_unreachable(fake_lore: Lore) -> None:
    fake_lore.serve(MSGID, b"", status=503)
    with pytest.raises(SourceError) as caught:
        load(MSGID)
    assert str(caught.value) == (
        f"lore unreachable: HTTP 503 Service Unavailable for {fake_lore.url}/{MSGID}/t.mbox.gz"
    )


def test_closed_port_is_unreachable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATCHSCOPE_LORE_URL", f"http://127.0.0.1:{closed_port()}/all")
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path))
    with pytest.raises(SourceError) as caught:
        load(MSGID)
    assert str(caught.value) == "lore unreachable: Connection refused"
    assert not (tmp_path / "lore").exists()


def test_broken_gzip_is_refused(fake_lore: Lore, tmp_path: Path) -> None:
    fake_lore.serve(MSGID, THREAD.read_bytes())  # sent as is, not gzipped
    with pytest.raises(SourceError) as caught:
        load(MSGID)
    assert str(caught.value) == f"lore sent a broken gzip stream for {MSGID}: not gzip"
    with pytest.raises(SourceError, match="not in the cache"):
        load(MSGID, offline=True)


def _corrupted(data: bytes) -> bytes:
    """A gzip whose deflate stream has a block type no deflate has (11: reserved)."""
    header = 10  # gzip's fixed header, no optional fields from gzip.compress
    return data[:header] + bytes([data[header] | 0b110]) + data[header + 1 :]


@pytest.mark.parametrize(
    ("broken", "why"),
    [(lambda data: data[: len(data) // 2], "it ends early"), (_corrupted, "corrupt data")],
)
def test_damaged_gzip_says_how(fake_lore: Lore, broken: Callable[[bytes], bytes], why: str) -> None:
    fake_lore.serve(MSGID, broken(gzip.compress(THREAD.read_bytes())))
    with pytest.raises(SourceError) as caught:
        load(MSGID)
    assert str(caught.value) == f"lore sent a broken gzip stream for {MSGID}: {why}"


def test_unwritable_cache(fake_lore: Lore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache dir cannot be made here\n")
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(blocker))
    fake_lore.serve(MSGID, gzip.compress(THREAD.read_bytes()))
    with pytest.raises(SourceError) as caught:
        load(MSGID)
    assert str(caught.value) == f"cannot write the lore cache {blocker}/lore: Not a directory"


def gzip_of_zeros(size: int) -> bytes:
    """A gzip member of `size` zero bytes, built a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    mib = bytes(1 << 20)
    parts = [packer.compress(mib) for _ in range(size >> 20)]
    return b"".join([*parts, packer.flush()])


def test_gzip_bomb_is_refused_in_little_memory(fake_lore: Lore, tmp_path: Path) -> None:
    cap = limits.DEFAULT.max_input_bytes
    bomb = gzip_of_zeros(cap + (1 << 20))
    assert len(bomb) < cap // 100  # it is a bomb: tiny on the wire
    fake_lore.serve(MSGID, bomb)
    tracemalloc.start()
    try:
        with pytest.raises(LimitError) as caught:
            load(MSGID)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"lore thread {MSGID} is larger than {cap:,} bytes uncompressed, the limit "
        "(raise it with --max-input-bytes)"
    )
    assert peak < 16 << 20
    assert list((tmp_path / "cache" / "lore").iterdir()) == []


def test_cap_is_exact(fake_lore: Lore) -> None:
    """The perturbed twin of the bomb: a thread of exactly the cap passes, one byte more fails."""
    fake_lore.serve("fits@example.org", gzip.compress(bytes(1 << 20)))
    fake_lore.serve("over@example.org", gzip.compress(bytes((1 << 20) + 1)))
    with limits.applied(limits.Limits(max_input_bytes=1 << 20, time_limit=0), "test"):
        assert lore.thread_mbox("fits@example.org", offline=False).stat().st_size == 1 << 20
        with pytest.raises(LimitError) as caught:
            lore.thread_mbox("over@example.org", offline=False)
    assert str(caught.value) == (
        "lore thread over@example.org is larger than 1,048,576 bytes uncompressed, the limit "
        "(raise it with --max-input-bytes)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<20190122103708.11043-1-osalvador@suse.de>", "20190122103708.11043-1-osalvador@suse.de"),
        ("20190122103708.11043-1-osalvador@suse.de", "20190122103708.11043-1-osalvador@suse.de"),
        ("<a/b@example.org>", "a/b@example.org"),
        ("<x@[127.0.0.1]>", "x@[127.0.0.1]"),
        ("series/x@y.mbox", None),  # a bare id may not hold '/': that is a mistyped path
        ("thread.mbox", None),
        ("a b@example.org", None),
        ("<>", None),
        ("@example.org", None),
    ],
)
def test_message_id_recognition(text: str, expected: str | None) -> None:
    assert lore.as_message_id(text) == expected


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PATCHSCOPE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert lore.cache_dir() == tmp_path / "xdg" / "patchscope"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert lore.cache_dir() == tmp_path / "home" / ".cache" / "patchscope"
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "mine"))
    assert lore.cache_path("a/b@c") == tmp_path / "mine" / "lore" / "a%2Fb@c.mbox"


def test_cache_names_stay_distinct_and_short() -> None:
    assert lore.cache_path("a/b@c") != lore.cache_path("a_b@c")
    long_id = "x" * 300 + "@example.org"
    assert len(lore.cache_path(long_id).name) < 255
