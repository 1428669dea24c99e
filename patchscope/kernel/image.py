"""Where the kernel to boot is: PATCHSCOPE_KERNEL, else the newest Debian kernel that
.ci/run unpacked into patchscope's cache (<cache>/kernel/boot/vmlinuz-*)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from patchscope.ingest.lore import cache_dir

ENV = "PATCHSCOPE_KERNEL"


def kernel_cache() -> Path:
    return cache_dir() / "kernel"


def default_kernel() -> Path | None:
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit)
    # the newest ABI: numbers compared as numbers (vmlinuz-6.1.0-10 after 6.1.0-9)
    images = sorted((kernel_cache() / "boot").glob("vmlinuz-*"), key=_version)
    return images[-1] if images else None


def _version(path: Path) -> list[tuple[int, str]]:
    return [
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", path.name)
    ]
