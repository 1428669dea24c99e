"""A hotplug flow on a booted guest, phase by phase, as a user and QEMU's ACPI memory
device drive it: QMP adds a pc-dimm (the kernel's acpi_memhotplug driver calls
add_memory), sysfs onlines and offlines its blocks, QMP's device_del ejects it (the
driver calls remove_memory) and DEVICE_DELETED says QEMU saw the eject through."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qemu.qmp import ExecuteError

from patchscope.kernel import accounting, guest, initramfs
from patchscope.kernel.accounting import Accounting
from patchscope.kernel.guest import BootFailure, Guest, GuestError, Machine

PHASES: dict[str, tuple[str, ...]] = {
    "hot-add": ("hot-add",),
    "online": ("hot-add", "online"),
    "offline": ("hot-add", "online", "offline"),
    "hot-remove": ("hot-add", "hot-remove"),
    "lifecycle": ("hot-add", "online", "offline", "hot-remove"),
}
SYSFS_ONLINE = {"movable": "online_movable", "kernel": "online_kernel"}
BOOT_TIMEOUT = 120.0  # TCG on a busy 2-core machine; one retry after it
STEP_TIMEOUT = 120.0
# strerror text (what busybox's echo prints on a failed write) -> errno name
_ERRNO_BY_TEXT = {os.strerror(n): name for n, name in errno.errorcode.items()}


@dataclass(frozen=True)
class Request:
    flow: str
    size: int
    online_type: str = "movable"
    append: str = ""
    dimms: int = 1  # DIMMs of `size` each, added one after another, removed in turn


@dataclass(frozen=True)
class Phase:
    name: str
    outcome: str  # "ok", an errno name, "refused" (the ACPI driver's add failed), "qemu: ..."
    accounting: Accounting


@dataclass(frozen=True)
class KernelRun:
    request: Request
    release: str  # uname -r
    accel: str
    start: int  # the first DIMM's physical address, as QEMU placed it
    baseline: Accounting
    phases: tuple[Phase, ...]
    boot_seconds: float
    seconds: float  # boot to the last dump
    boots: int = 1  # 2 when the first boot failed and was retried


def run(
    kernel: Path, cache: Path, requests: Sequence[Request], accel: str | None = None
) -> list[KernelRun]:
    """Each request on its own guest, the guests booted in parallel; `accel` None: KVM
    where the probe shows it works, TCG otherwise."""
    initrd = initramfs.build(cache)

    async def all_runs() -> list[KernelRun]:
        chosen = accel or await accelerator(kernel)
        machines = [Machine(kernel, initrd, r.append, chosen) for r in requests]
        runs = (_run_retrying(m, r) for m, r in zip(machines, requests, strict=True))
        return list(await asyncio.gather(*runs))

    return asyncio.run(all_runs())


async def _run_retrying(machine: Machine, request: Request) -> KernelRun:
    """A boot that times out or stops short of init is tried once more (TCG on a loaded
    machine), never skipped; a second failure is the error."""
    try:
        return await _run(machine, request)
    except BootFailure:
        return dataclasses.replace(await _run(machine, request), boots=2)


async def _run(machine: Machine, request: Request) -> KernelRun:
    began = time.monotonic()
    async with guest.booted(machine, BOOT_TIMEOUT) as g:
        booted = time.monotonic() - began
        release = (await _shell(g, "uname -r")).output[0]
        baseline = await _dump(g)
        phases, start = await _phases(g, request, baseline.block_size)
        return KernelRun(
            request=request,
            release=release,
            accel=machine.accel,
            start=start,
            baseline=baseline,
            phases=tuple(phases),
            boot_seconds=booted,
            seconds=time.monotonic() - began,
        )


async def _phases(g: Guest, r: Request, block_size: int) -> tuple[list[Phase], int]:
    phases: list[Phase] = []
    dimms = [f"dimm{i}" for i in range(r.dimms)]
    blocks: list[int] = []
    start = 0
    for name in PHASES[r.flow]:
        if name == "hot-add":
            outcome, start, blocks = await _hot_add(g, dimms, r.size, block_size)
        elif name == "hot-remove":
            outcome = await _hot_remove(g, dimms, blocks)
        else:
            state = SYSFS_ONLINE[r.online_type] if name == "online" else "offline"
            outcome = await _set_state(g, state, blocks)
        phases.append(Phase(name, outcome, await _dump(g)))
        if outcome != "ok":
            break
    return phases, start


async def _hot_add(
    g: Guest, dimms: Sequence[str], size: int, block_size: int
) -> tuple[str, int, list[int]]:
    for dimm in dimms:
        try:
            await g.execute(
                "object-add",
                **{"qom-type": "memory-backend-ram", "id": f"mem-{dimm}", "size": size},
            )
            await g.execute("device_add", driver="pc-dimm", id=dimm, memdev=f"mem-{dimm}")
        except ExecuteError as exc:
            return f"qemu: {exc.error.error.desc}", 0, []
    placed = {d["data"]["id"]: d["data"] for d in await g.execute("query-memory-devices")}
    start = placed[dimms[0]]["addr"]
    blocks = sorted(
        {
            block
            for dimm in dimms
            for block in _blocks(placed[dimm]["addr"], placed[dimm]["size"], block_size)
        }
    )
    answer = await _shell(g, "await present " + " ".join(map(str, blocks)))
    return ("ok" if answer.status == 0 else "refused"), start, blocks


def _blocks(addr: int, size: int, block_size: int) -> range:
    return range(addr // block_size, -(-(addr + size) // block_size))


async def _set_state(g: Guest, state: str, blocks: Sequence[int]) -> str:
    answer = await _shell(g, f"setstate {state} " + " ".join(map(str, blocks)))
    if answer.status == 0:
        return "ok"
    return _errno(answer.output)


def _errno(output: Sequence[str]) -> str:
    """The errno of a failed sysfs write, from the text busybox's echo printed."""
    for line in output:
        for text, name in _ERRNO_BY_TEXT.items():
            if line.endswith(text):
                return name
    return "error: " + " | ".join(output)


async def _hot_remove(g: Guest, dimms: Sequence[str], blocks: Sequence[int]) -> str:
    for dimm in dimms:
        with g.qmp.listener("DEVICE_DELETED") as events:
            await g.execute("device_del", id=dimm)
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    while _device(await events.get()) != dimm:
                        pass
            except TimeoutError:
                return "no DEVICE_DELETED"
        await g.execute("object-del", id=f"mem-{dimm}")
    answer = await _shell(g, "await absent " + " ".join(map(str, blocks)))
    return "ok" if answer.status == 0 else "blocks left"


def _device(event: Mapping[str, Any]) -> object:
    data = event.get("data")
    return data.get("device") if isinstance(data, Mapping) else None


async def _dump(g: Guest) -> Accounting:
    return accounting.parse((await _shell(g, "dump")).output)


async def _shell(g: Guest, line: str) -> guest.Answer:
    try:
        return await g.shell(line, STEP_TIMEOUT)
    except TimeoutError:
        raise GuestError(f"the guest did not answer '{line}' in {STEP_TIMEOUT:.0f} s") from None


async def accelerator(kernel: Path) -> str:
    """ "kvm" where KVM runs this kernel (a short probe: some hosts' /dev/kvm cannot run a
    stock kernel and QEMU aborts at once), "tcg" otherwise."""
    if guest.kvm_usable() and await guest.probe_kvm(kernel):
        return "kvm"
    return "tcg"
