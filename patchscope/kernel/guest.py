"""One QEMU guest: the kernel booted to patchscope's init, a shell on its serial console,
and QMP on a unix socket through the QEMU project's own client (`qemu.qmp`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qemu.qmp import QMPClient

from patchscope.errors import PatchscopeError
from patchscope.kernel.initramfs import DONE, READY

QEMU = "qemu-system-x86_64"
# The machine the issue measured: 1 GiB of boot memory, room for four DIMMs, no network.
MEMORY = "1G,slots=4,maxmem=16G"
BOOT_MEMORY = 1 << 30
# A quiet console (only KERN_EMERG) so that the kernel's messages do not cut into the
# shell's answers; dmesg in the guest still has everything. no_timer_check: under TCG on a
# loaded host the IO-APIC timer check at boot can miss its ticks and panic ("IO-APIC +
# timer doesn't work!", seen with four guests on two busy cores).
BASE_APPEND = "console=ttyS0 loglevel=1 panic=-1 no_timer_check"


class GuestError(PatchscopeError):
    """QEMU or the guest did not do what was asked."""


class BootFailure(GuestError):
    """The guest did not reach init: too slow, or its kernel stopped on the way (the
    caller may boot once more)."""


@dataclass(frozen=True)
class Machine:
    kernel: Path
    initramfs: Path
    append: str = ""
    accel: str = "tcg"  # "kvm" where the probe showed it works

    def argv(self, qmp_socket: Path) -> list[str]:
        cmdline = f"{BASE_APPEND} {self.append}".strip()
        return [
            QEMU,
            *("-m", MEMORY, "-smp", "1", "-nic", "none", "-nographic", "-no-reboot"),
            *("-accel", self.accel, *(("-cpu", "host") if self.accel == "kvm" else ())),
            *("-kernel", str(self.kernel), "-initrd", str(self.initramfs)),
            *("-append", cmdline),
            *("-qmp", f"unix:{qmp_socket}"),  # QEMU connects to patchscope's socket
        ]


@dataclass(frozen=True)
class Answer:
    status: int
    output: tuple[str, ...]


class Guest:
    """A booted guest. Use `booted()`; commands and QMP calls go one at a time."""

    def __init__(self, process: asyncio.subprocess.Process, qmp: QMPClient) -> None:
        self.process = process
        self.qmp = qmp
        self.console: list[str] = []  # every line the serial console printed, for errors

    async def shell(self, line: str, timeout: float) -> Answer:
        """Run one line in the guest's shell; its output and exit status."""
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        output: list[str] = []
        async with asyncio.timeout(timeout):
            while True:
                text = await self._line()
                if text.startswith(DONE + " "):
                    return Answer(int(text.split()[1]), tuple(output))
                output.append(text)

    async def execute(self, command: str, **arguments: Any) -> Any:
        return await self.qmp.execute(command, arguments or None)

    async def _line(self) -> str:
        assert self.process.stdout is not None
        raw = await self.process.stdout.readline()
        if not raw:
            await self.process.wait()
            tail = " | ".join(self.console[-8:])
            raise GuestError(f"QEMU's console closed (exit {self.process.returncode}): {tail}")
        text = raw.decode(errors="replace").rstrip("\r\n")
        self.console.append(text)
        return text

    async def _boot(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                while READY not in await self._line():
                    pass
        except TimeoutError:
            raise BootFailure(f"no init after {timeout:.0f} s") from None
        except GuestError as exc:
            raise BootFailure(str(exc)) from None


@contextlib.asynccontextmanager
async def booted(machine: Machine, boot_timeout: float) -> AsyncIterator[Guest]:
    """QEMU started, QMP connected, the guest's init ready; QEMU ended on leaving."""
    with tempfile.TemporaryDirectory(prefix="patchscope-qemu-") as folder:
        socket = Path(folder) / "qmp.sock"
        qmp = QMPClient("patchscope")
        # patchscope listens and QEMU connects as it starts: no polling for a socket file
        await qmp.start_server(str(socket))
        try:
            process = await asyncio.create_subprocess_exec(
                *machine.argv(socket),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except FileNotFoundError:
            await qmp.disconnect()
            raise GuestError(f"{QEMU} is not installed (Debian's qemu-system-x86)") from None
        try:
            guest = Guest(process, qmp)
            await _accept(qmp, process)
            await guest._boot(boot_timeout)
            yield guest
        finally:
            await _stop(process, qmp)


async def _accept(qmp: QMPClient, process: asyncio.subprocess.Process) -> None:
    """QEMU's QMP connection, or QEMU's own words when it exits first."""
    accepted = asyncio.ensure_future(qmp.accept())
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait((accepted, exited), return_when=asyncio.FIRST_COMPLETED)
    if accepted.done():
        exited.cancel()
        accepted.result()
        return
    accepted.cancel()
    output = await process.stdout.read() if process.stdout else b""
    raise GuestError(f"{QEMU} did not start: {output.decode(errors='replace').strip()[-300:]}")


async def _stop(process: asyncio.subprocess.Process, qmp: QMPClient) -> None:
    with contextlib.suppress(Exception):
        await qmp.disconnect()
    if process.returncode is None:
        process.kill()
    await process.wait()


def kvm_usable() -> bool:
    """/dev/kvm opens for us (whether it runs a kernel is probe_kvm's question)."""
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


async def probe_kvm(kernel: Path, timeout: float = 5.0) -> bool:
    """The kernel under KVM prints its banner on the serial console within `timeout`."""
    try:
        process = await asyncio.create_subprocess_exec(
            *(QEMU, "-m", "256M", "-nic", "none", "-nographic", "-no-reboot"),
            *("-accel", "kvm", "-cpu", "host", "-kernel", str(kernel), "-append", "console=ttyS0"),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError:  # no QEMU: the boot that follows says so in its own words
        return False
    assert process.stdout is not None
    try:
        async with asyncio.timeout(timeout):
            while line := await process.stdout.readline():
                if b"Linux version" in line:
                    return True
        return False
    except TimeoutError:
        return False
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
