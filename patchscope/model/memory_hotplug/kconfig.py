"""The model's build options in the kernel's words: Kconfig symbols, given one at a time
(`--config CONFIG_DEBUG_VM=n`) or read from a full `.config` (`--kconfig PATH`).

A `.config` is a line format (`CONFIG_X=y`, `# CONFIG_X is not set`); it is read here by hand
because kconfiglib, the maintained Kconfig library, loads a `.config` only against the
kernel's whole Kconfig tree, which the model does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from patchscope.model.memory_hotplug.config import ModelInputError, parse_size

# The bool options the model reads -> the Config field that holds each (sparse.py tests
# SPARSEMEM_VMEMMAP and DEBUG_VM, pages.py DEBUG_VM_PGFLAGS, memory_hotplug.py HOTREMOVE).
BOOLS: Mapping[str, str] = {
    "CONFIG_SPARSEMEM_VMEMMAP": "sparsemem_vmemmap",
    "CONFIG_DEBUG_VM": "debug_vm",
    "CONFIG_DEBUG_VM_PGFLAGS": "debug_vm_pgflags",
    "CONFIG_MEMORY_HOTREMOVE": "memory_hotremove",
}
# What the model is of: a kernel without it has nothing to replay.
HOTPLUG = "CONFIG_MEMORY_HOTPLUG"
# Kconfig's `depends on` among the options read (lib/Kconfig.debug: DEBUG_VM_PGFLAGS).
DEPENDS: Mapping[str, str] = {"CONFIG_DEBUG_VM_PGFLAGS": "CONFIG_DEBUG_VM"}
# Options an arch cannot turn on, and why (v5.0's arch/*/Kconfig).
UNAVAILABLE: Mapping[tuple[str, str], str] = {
    ("arm64", "CONFIG_MEMORY_HOTREMOVE"): "v5.0's arm64 does not select "
    "ARCH_ENABLE_MEMORY_HOTREMOVE, so it has no arch_remove_memory()",
}
# The symbol a .config of each arch sets (arch/*/Kconfig).
ARCH_SYMBOLS: Mapping[str, str] = {
    "CONFIG_X86_64": "x86_64",
    "CONFIG_PPC64": "ppc64",
    "CONFIG_S390": "s390",
    "CONFIG_ARM64": "arm64",
}
# The machine the kernel boots on, not its build: these keep the model's own names.
MACHINE: tuple[str, ...] = ("boot_memory_end", "nr_nodes")
ACCEPTED: tuple[str, ...] = (*sorted([*BOOLS, HOTPLUG]), *MACHINE)
# `make oldconfig` and friends open a full .config with this line; savedefconfig does not.
FULL_HEADER = "# Automatically generated file; DO NOT EDIT."
HEADER_LINES = 4  # the header is the file's first few lines

_SET = re.compile(r"(CONFIG_[A-Za-z0-9_]+)=(.*)")
_NOT_SET = re.compile(r"# (CONFIG_[A-Za-z0-9_]+) is not set")


def option(key: str, value: str, *, where: str = "--config") -> tuple[str, int] | None:
    """One KEY=VALUE as the model takes it: a bool symbol y (1) or n (0), a machine size or
    count; None for CONFIG_MEMORY_HOTPLUG=y, which every replay assumes."""
    if key in MACHINE:
        return key, _machine(key, value, where)
    if key not in BOOLS and key != HOTPLUG:
        raise ModelInputError(f"{where}: unknown key '{key}' (accepted: {', '.join(ACCEPTED)})")
    if value == "m":
        raise ModelInputError(f"{where}: {key}=m: a bool option is built in or not (y or n)")
    if value not in ("y", "n"):
        raise ModelInputError(f"{where}: {key}={value}: a bool option is y or n")
    if key == HOTPLUG:
        if value == "n":
            raise ModelInputError(f"{where}: {key}=n leaves no memory hotplug to replay")
        return None
    return key, int(value == "y")


def _machine(key: str, value: str, where: str) -> int:
    try:
        return parse_size(value)
    except ModelInputError as exc:
        raise ModelInputError(f"{where}: {key}: {exc}") from None


def config_fields(arch: str, options: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Config field overrides from options in the order given (a later one wins), with
    Kconfig's dependencies applied: an option whose dependency is off is off, and asking
    for it on is refused."""
    chosen = dict(options)
    for symbol, value in chosen.items():
        reason = UNAVAILABLE.get((arch, symbol))
        if value and reason:
            raise ModelInputError(f"{symbol}=y on {arch}: {reason}")
    for symbol, needs in DEPENDS.items():
        if chosen.get(needs) == 0:
            if chosen.get(symbol):
                raise ModelInputError(f"{symbol}=y depends on {needs}, which is n")
            chosen[symbol] = 0
    return {
        BOOLS.get(key, key): bool(value) if key in BOOLS else value for key, value in chosen.items()
    }


@dataclass(frozen=True)
class KconfigFile:
    """What a full .config says to the model: its arch, the options read, the rest ignored."""

    path: str
    arch: str
    options: tuple[tuple[str, int], ...]
    ignored: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "arch": self.arch,
            "read": dict(self.options),
            "ignored": list(self.ignored),
        }


def read_kconfig(path: str) -> KconfigFile:
    """A full .config: every bool option the model reads, off where the file leaves it out
    or says `is not set`. A defconfig (no generated header) is refused: what it leaves out
    takes Kconfig defaults the model does not know (SPARSEMEM_VMEMMAP defaults to y)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ModelInputError(f"--kconfig {path}: cannot read it ({exc.strerror})") from None
    if FULL_HEADER not in text.splitlines()[:HEADER_LINES]:
        raise ModelInputError(
            f"--kconfig {path}: not a full .config (no '{FULL_HEADER}' header): a defconfig "
            "leaves options at Kconfig defaults the model does not know; run "
            "`make olddefconfig` and give the .config it writes"
        )
    values = _values(path, text)
    where = f"--kconfig {path}"
    arches = [arch for symbol, arch in ARCH_SYMBOLS.items() if values.get(symbol) == "y"]
    if len(arches) != 1:
        raise ModelInputError(
            f"{where}: a kernel for none of the model's arches (it sets none or several of "
            f"{', '.join(ARCH_SYMBOLS)})"
        )
    if values.get(HOTPLUG) != "y":
        raise ModelInputError(f"{where}: {HOTPLUG} is not set: no memory hotplug to replay")
    read = [(symbol, values.get(symbol, "n")) for symbol in BOOLS]
    options = tuple(o for symbol, value in read if (o := option(symbol, value, where=where)))
    known = {*BOOLS, HOTPLUG, *ARCH_SYMBOLS}
    return KconfigFile(
        path=path,
        arch=arches[0],
        options=options,
        ignored=tuple(sorted(set(values) - known)),
    )


def _values(path: str, text: str) -> dict[str, str]:
    """symbol -> value as written ('n' for `is not set`); other comments and blanks skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if (match := _SET.fullmatch(line)) is not None:
            values[match[1]] = match[2]
        elif (match := _NOT_SET.fullmatch(line)) is not None:
            values[match[1]] = "n"
        elif line and not line.startswith("#"):
            raise ModelInputError(f"--kconfig {path} line {number}: not a .config line")
    return values
