"""One headless chromium per test package; each test gets fresh tabs, closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.harness import (
    Opener,
    PageLog,
    chromium_executable,
    launch,
    open_file,
)


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    executable = chromium_executable()
    if executable is None:  # the needs_tool marker skipped the test before it got here
        pytest.fail("a browser test without pytestmark = NEEDS_CHROMIUM")
    with launch(executable, tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture
def open_page(browser: BrowserContext) -> Iterator[Opener]:
    """Open a local HTML file in a new tab; every tab opened is closed after the test."""
    pages: list[Page] = []

    def opener(html: Path) -> tuple[Page, PageLog]:
        page, log = open_file(browser, html)
        pages.append(page)
        return page, log

    yield opener
    for page in pages:
        page.close()
