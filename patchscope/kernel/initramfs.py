"""The guest's initramfs: Debian's static busybox and patchscope's own init, a shell that
runs each line the host sends over the serial console and ends its answer with a marker.

Built once per busybox binary and kept in the cache (the name carries a digest of what
went in, so a new busybox or a new init gives a new file).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from patchscope.errors import PatchscopeError
from patchscope.kernel import cpio

BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static
READY = "patchscope-ready"
DONE = "patchscope-done"

# The sysfs memory-block folder; `dump` reads every counter the comparison needs with one
# grep (a process per block is slow under TCG); `await` waits for the ACPI memory device's
# blocks to appear or go, or for the driver's own "add_memory failed" (acpi_memhotplug.c).
INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
stty -echo -onlcr
M=/sys/devices/system/memory
dump() {{
  grep -H '' $M/block_size_bytes $M/memory*/state $M/memory*/phys_index \\
    /proc/meminfo /proc/zoneinfo
}}
setstate() {{
  s=$1; shift
  for b; do echo $s > $M/memory$b/state || return 1; done
}}
await() {{
  want=$1; shift
  while :; do
    n=0
    for b; do [ -e $M/memory$b ] && n=$((n + 1)); done
    [ $want = present ] && [ $n = $# ] && return 0
    [ $want = absent ] && [ $n = 0 ] && return 0
    [ $want = present ] && dmesg -c | grep -q 'add_memory failed' && return 1
    usleep 20000
  done
}}
echo {READY}
while read -r line; do eval "$line" 2>&1; echo "{DONE} $?"; done
poweroff -f
"""


class InitramfsError(PatchscopeError):
    """The guest's initramfs cannot be built."""


def entries(busybox: bytes) -> list[cpio.Entry]:
    return [
        *(cpio.directory(d) for d in ("bin", "dev", "proc", "sys")),
        cpio.char_device("dev/console", 5, 1),  # the kernel opens it for init's stdio
        cpio.regular("bin/busybox", busybox, executable=True),
        cpio.regular("init", INIT.encode(), executable=True),
    ]


def build(cache: Path, busybox: Path = BUSYBOX) -> Path:
    """The initramfs in `cache`, written there first if it is not yet."""
    if not busybox.is_file():
        raise InitramfsError(f"{busybox}: no static busybox (Debian's busybox-static)")
    binary = busybox.read_bytes()
    digest = hashlib.sha256(binary + INIT.encode()).hexdigest()[:16]
    path = cache / f"initramfs-{digest}.cpio"
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}")  # parallel boots build too
        partial.write_bytes(cpio.archive(entries(binary)))
        partial.replace(path)
    return path
