"""The parts of `patchscope kernel` that need no guest: the initramfs archive, the dump's
parser, the by-design list against the Linux 6.1 sources, the command's bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from patchscope.cli import main
from patchscope.kernel import accounting, bydesign, cpio, initramfs, session
from patchscope.kernel.scenario import compare_run
from patchscope.kernel.session import KernelRun
from tests.integration.conftest import NEEDS_TARBALL
from tests.integration.linux61 import TARBALL, unpack
from tests.kernel.conftest import NEEDS_BUSYBOX


@NEEDS_BUSYBOX
def test_newc_archive_unpacks_with_busybox_cpio(tmp_path: Path) -> None:
    """An independent reader: busybox's own cpio extracts what cpio.archive wrote."""
    busybox = str(initramfs.BUSYBOX)
    data = cpio.archive(
        [cpio.directory("bin"), cpio.regular("bin/x", b"odd length\n", executable=True)]
    )
    assert len(data) % 4 == 0
    subprocess.run([busybox, "cpio", "-i", "-d"], input=data, cwd=tmp_path, check=True)
    extracted = tmp_path / "bin" / "x"
    assert extracted.read_bytes() == b"odd length\n"
    assert extracted.stat().st_mode & 0o777 == 0o755


def test_same_entries_same_bytes() -> None:
    entries = [cpio.directory("dev"), cpio.char_device("dev/console", 5, 1)]
    assert cpio.archive(entries) == cpio.archive(entries)
    assert cpio.archive(entries) != cpio.archive([*entries, cpio.directory("sys")])


DUMP = """\
/sys/devices/system/memory/block_size_bytes:8000000
/sys/devices/system/memory/memory0/state:online
/sys/devices/system/memory/memory33/state:offline
/sys/devices/system/memory/memory0/phys_index:00000000
/sys/devices/system/memory/memory33/phys_index:00000042
/proc/meminfo:MemTotal:         917440 kB
/proc/meminfo:MemFree:          880784 kB
/proc/zoneinfo:Node 0, zone    DMA32
/proc/zoneinfo:  pages free     212236
/proc/zoneinfo:        spanned  258016
/proc/zoneinfo:        present  258016
/proc/zoneinfo:        managed  225520
/proc/zoneinfo:  pagesets
/proc/zoneinfo:    cpu: 0
/proc/zoneinfo:              count: 2471
/proc/zoneinfo:              high:  6460
/proc/zoneinfo:    cpu: 1
/proc/zoneinfo:              count: 29
/proc/zoneinfo:Node 0, zone   Normal
/proc/zoneinfo:  pages free     0
/proc/zoneinfo:Node 0, zone  Movable
/proc/zoneinfo:  pages free     0
"""


def test_dump_parses_blocks_zones_and_per_cpu_lists() -> None:
    a = accounting.parse(DUMP.splitlines())
    assert a.block_size == 0x8000000
    assert a.blocks == {0: "online", 33: "offline"}
    assert a.sections_per_block == 0x42 // 33
    assert a.zones["DMA32"].pcp == 2471 + 29
    assert a.free_pages(["DMA32", "Movable", "Normal"]) == 212236 + 2500
    assert a.meminfo_kb["MemTotal"] == 917440


def test_a_dump_without_zoneinfo_is_an_error() -> None:
    lines = [line for line in DUMP.splitlines() if "zoneinfo" not in line]
    with pytest.raises(accounting.DumpError):
        accounting.parse(lines)


def test_errno_of_a_failed_sysfs_write() -> None:
    assert session._errno(["sh: write error: Device or resource busy"]) == "EBUSY"
    assert session._errno(["sh: write error: Invalid argument"]) == "EINVAL"
    assert session._errno(["something else"]).startswith("error: ")


@pytest.mark.parametrize(
    ("append", "on"),
    [
        ("memory_hotplug.memmap_on_memory=1", True),
        ("quiet memory_hotplug.memmap_on_memory=Y", True),
        ("memory_hotplug.memmap_on_memory=1 memory_hotplug.memmap_on_memory=0", False),
        ("memmap_on_memory=1", False),
        ("", False),
    ],
)
def test_memmap_on_memory_read_as_the_kernel_reads_a_bool(append: str, on: bool) -> None:
    assert bydesign.memmap_on_memory(append) is on


@NEEDS_TARBALL
def test_every_by_design_entry_cites_a_line_of_linux_61(tmp_path: Path) -> None:
    files = sorted({e.file for e in bydesign.ENTRIES})
    tree = unpack(TARBALL, tmp_path / "linux", files)
    for entry in bydesign.ENTRIES:
        lines = {line.strip() for line in (tree / entry.file).read_text().splitlines()}
        assert entry.line in lines, (entry.id, entry.file)


def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kernel", "lifecycle", "--kernel", str(tmp_path / "none")]) == 2
    assert main(["kernel", "sideways", "--kernel", str(tmp_path / "none")]) == 2
    vmlinuz = tmp_path / "vmlinuz"
    vmlinuz.write_bytes(b"")
    assert main(["kernel", "lifecycle", "--kernel", str(vmlinuz), "--size", "lots"]) == 2
    assert main(["kernel", "lifecycle", "--kernel", str(vmlinuz), "--dimms", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all(line.startswith("patchscope: ") for line in err)


def test_ebusy_from_the_kernel_stops_the_verdict_not_the_table() -> None:
    """The kernel's offline of a kernel-zone range may fail EBUSY (its own unmovable
    allocations); the model has none, so from there the rows judge nothing either way."""
    from patchscope.kernel.compare import compare
    from patchscope.kernel.model_side import params_for, replay_phases
    from patchscope.kernel.session import Phase, Request

    dump = accounting.parse(DUMP.splitlines())
    request = Request("lifecycle", 128 << 20, online_type="kernel")
    outcomes = {"hot-add": "ok", "online": "ok", "offline": "EBUSY"}
    run = KernelRun(
        request=request,
        release="6.1",
        accel="tcg",
        start=33 * dump.block_size,
        baseline=dump,
        phases=tuple(Phase(name, outcome, dump) for name, outcome in outcomes.items()),
        boot_seconds=0.0,
        seconds=0.0,
    )
    params = params_for(request.size, 1, run.start, "kernel", 1 << 30)
    model = replay_phases(session.PHASES["lifecycle"], params, None, "Normal")
    c = compare(run, model, 0, "Normal", 512)
    assert c.busy_phase == "offline"
    assert {r.phase for r in c.rows if r.busy} == {"offline", "hot-remove"}
    assert not any(r.busy for r in c.model_bugs)
    assert c.agree is False


def test_a_dimm_qemu_refuses_is_compared_as_nothing_added() -> None:
    """QEMU refused the DIMM, so the kernel never saw it: the rows say so, and what the
    kernel saw (nothing added: no block, no zone change) is set beside an untouched model."""
    from patchscope.kernel.scenario import Scenario
    from patchscope.kernel.session import Phase, Request

    dump = accounting.parse(DUMP.splitlines())
    request = Request("lifecycle", 64 << 30)
    refused = "qemu: cannot set up guest memory 'mem-dimm0': Cannot allocate memory"
    run = KernelRun(request, "6.1", "tcg", 0, dump, (Phase("hot-add", refused, dump),), 0.0, 0.0)
    c = compare_run(Scenario(request), None, run)
    assert {r.phase for r in c.rows} == {"hot-add"}
    values = {r.observable: (r.model, r.kernel) for r in c.rows}
    assert values["outcome"] == (refused, refused)
    assert values["memory_blocks"] == (0, 0)  # memory0, at address 0, is not the DIMM's
    assert values["sections"] == (0, 0)
    assert "not replayed: QEMU refused the DIMM" in " ".join(c.notes)
