"""Where the kernel to boot is: PATCHSCOPE_KERNEL, else the newest Debian kernel that
.ci/run unpacked into patchscope's cache (<cache>/kernel/boot/vmlinuz-*)."""

from __future__ import annotations

import os
from pathlib import Path

from patchscope.ingest.lore import cache_dir

ENV = "PATCHSCOPE_KERNEL"


def kernel_cache() -> Path:
    return cache_dir() / "kernel"


def default_kernel() -> Path | None:
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit)
    images = sorted((kernel_cache() / "boot").glob("vmlinuz-*"))
    return images[-1] if images else None
