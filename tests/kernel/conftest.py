"""Linux 6.1 under QEMU for the tests: the kernel .ci/run unpacked into the cache (or
PATCHSCOPE_KERNEL), QEMU and busybox-static from Debian. Outside CI a missing piece skips
with its name; under CI=true it fails, since CI must really boot."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchscope.kernel import image, initramfs, session
from patchscope.kernel.guest import QEMU
from patchscope.kernel.scenario import Scenario, model_stage
from patchscope.kernel.session import KernelRun, Request
from tests.conftest import skip_or_fail

GIB, MIB = 1 << 30, 1 << 20
MEMMAP_ON_MEMORY = "memory_hotplug.memmap_on_memory=1"
# The three scenarios of issue 12, booted side by side in one session fixture:
# the 1 GiB lifecycle with online_movable at the base stage; a one-block DIMM with
# memmap_on_memory=1 against the reference series' memmap-from-range stage (3); and a
# DIMM of 1.5 blocks, which add_memory() must refuse.
SCENARIOS = {
    "lifecycle-1g": Scenario(Request("lifecycle", GIB)),
    "memmap-on-memory": Scenario(Request("lifecycle", 128 * MIB, append=MEMMAP_ON_MEMORY), 3),
    "unaligned": Scenario(Request("lifecycle", 192 * MIB)),
}
# Two boots of up to session.BOOT_TIMEOUT (a timed-out boot is retried once), the flow's
# steps, the model's replays: a hung guest fails the test instead of stalling CI.
TIMEOUT = 2 * session.BOOT_TIMEOUT + 180
# What a guest needs that pip cannot bring: a test that boots carries these marks, so it
# skips outside CI and fails under CI=true when one is missing (tests/conftest.py).
NEEDS_QEMU = pytest.mark.needs_tool(QEMU, apt="qemu-system-x86")
NEEDS_BUSYBOX = pytest.mark.needs_tool(str(initramfs.BUSYBOX), apt="busybox-static")
NEEDS_GUEST = [NEEDS_QEMU, NEEDS_BUSYBOX]


def missing() -> str | None:
    """The kernel image, when missing (QEMU and busybox are the tests' needs_tool marks)."""
    kernel = image.default_kernel()
    if kernel is None or not kernel.is_file():
        return (
            f"no kernel in {image.kernel_cache()} and no {image.ENV} "
            "(.ci/run unpacks Debian's linux-image-*-amd64-unsigned there)"
        )
    return None


@pytest.fixture(scope="session")
def vmlinuz() -> Path:
    reason = missing()
    if reason is not None:
        skip_or_fail(reason, "the kernel tests")
    kernel = image.default_kernel()
    assert kernel is not None
    return kernel


@pytest.fixture(scope="session")
def kernel_runs(vmlinuz: Path) -> dict[str, KernelRun]:
    """Every scenario's flow on its own guest, the guests booted in parallel."""
    for s in SCENARIOS.values():
        model_stage(s.series, s.stage)  # the series loads before any boot
    runs = session.run(vmlinuz, image.kernel_cache(), [s.request for s in SCENARIOS.values()])
    return dict(zip(SCENARIOS, runs, strict=True))
