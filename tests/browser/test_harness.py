"""The harness itself: a clean page reports nothing; each kind of misbehaviour is caught."""

from __future__ import annotations

from pathlib import Path

from tests.browser.harness import NEEDS_CHROMIUM, Opener

pytestmark = NEEDS_CHROMIUM

CLOSED = "127.0.0.1:9"  # the discard port: nothing may reach it, and nothing should try


def _page(tmp_path: Path, body: str) -> Path:
    html = tmp_path / "page.html"
    html.write_text(f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>")
    return html


def test_clean_page_has_nothing_to_report(tmp_path: Path, open_page: Opener) -> None:
    (tmp_path / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    page, log = open_page(_page(tmp_path, '<p id="p">plain</p><img src="dot.svg" alt="">'))
    assert page.inner_text("#p") == "plain"
    assert log.problems() == []


def test_console_and_page_errors_are_caught(tmp_path: Path, open_page: Opener) -> None:
    body = '<script>console.error("first")</script><script>throw new Error("second")</script>'
    _, log = open_page(_page(tmp_path, body))
    assert log.console_errors == ["first"]
    assert len(log.page_errors) == 1 and "second" in log.page_errors[0]


def test_requests_off_file_are_refused_and_recorded(tmp_path: Path, open_page: Opener) -> None:
    body = (
        f'<img src="http://{CLOSED}/img.png" alt="">'
        f'<link rel="stylesheet" href="https://{CLOSED}/style.css">'
    )
    _, log = open_page(_page(tmp_path, body))
    assert sorted(log.foreign_requests) == [
        f"http://{CLOSED}/img.png",
        f"https://{CLOSED}/style.css",
    ]


def test_websockets_are_refused_and_recorded(tmp_path: Path, open_page: Opener) -> None:
    script = (
        f'<script>const s = new WebSocket("ws://{CLOSED}/live");'
        "s.onclose = () => { window.closed_socket = true; };</script>"
    )
    page, log = open_page(_page(tmp_path, script))
    page.wait_for_function("window.closed_socket === true", timeout=5000)
    assert log.foreign_requests == [f"ws://{CLOSED}/live"]
