"""Headless Debian chromium driven by playwright, kept off the network.

Shared by the browser tests' fixtures and by `screenshot.py`, which rewrites the
README's picture. No browser is ever downloaded: the system chromium is the executable.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    WebSocketRoute,
    sync_playwright,
)

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Every browser test module carries this (pytestmark): Debian's chromium, no pip package.
NEEDS_CHROMIUM = pytest.mark.needs_tool(*CHROMIUM_NAMES, apt="chromium")
# Headless, no GPU, and none of chromium's own calls home (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

# opens a local HTML file in a tab: the tab and what the page did
Opener = Callable[[Path], tuple[Page, "PageLog"]]


def chromium_executable() -> str | None:
    """The system chromium, or None when this machine has none."""
    found = (shutil.which(name) for name in CHROMIUM_NAMES)
    return next((path for path in found if path), None)


@dataclass
class PageLog:
    """What a page did that a self-contained, script-safe report must never do (filled in live)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every entry, labelled, so one assertion shows the whole story."""
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"page error: {text}" for text in self.page_errors]
            + [f"request off file://: {url}" for url in self.foreign_requests]
        )


@contextmanager
def launch(executable: str, profile: Path) -> Iterator[BrowserContext]:
    """One headless chromium with a fresh profile in `profile`, closed on exit."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            service_workers="block",
        )
        try:
            yield context
        finally:
            context.close()


def open_file(context: BrowserContext, html: Path) -> tuple[Page, PageLog]:
    """Load `html` from file:// in a new tab, recording errors and refusing every other scheme."""
    page = context.new_page()
    log = PageLog()
    page.on("console", lambda message: _note_console(log, message))
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.route("**/*", lambda route: _only_files(log, route))
    page.route_web_socket("**/*", lambda socket: _refuse_socket(log, socket))
    page.goto(html.resolve().as_uri(), wait_until="load")
    return page, log


def _note_console(log: PageLog, message: ConsoleMessage) -> None:
    if message.type == "error":
        log.console_errors.append(message.text)


def _only_files(log: PageLog, route: Route) -> None:
    """A report that reaches past its own file is not self-contained: record it, never send it."""
    url = route.request.url
    if url.startswith("file://"):
        route.continue_()
        return
    log.foreign_requests.append(url)
    route.abort()


def _refuse_socket(log: PageLog, socket: WebSocketRoute) -> None:
    """WebSockets bypass request routing; they are recorded and closed just the same."""
    log.foreign_requests.append(socket.url)
    socket.close()


def open_every_details(page: Page) -> None:
    """Open every <details> as a reader would, one click on its summary each, outermost
    first (a nested one can be clicked once its parent is open); no script of the page's."""
    while (closed := page.locator("details:not([open]) > summary").first).count():
        closed.click()
