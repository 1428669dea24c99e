"""Kconfig symbols for the model: one at a time as --config takes them, and a full .config
(Debian's own amd64 config from linux-config-6.1, and hand-written ones) as --kconfig reads it."""

from __future__ import annotations

import json
import lzma
import re
from pathlib import Path

import jsonschema
import pytest

from patchscope.cli import main
from patchscope.errors import PatchscopeError
from patchscope.model.memory_hotplug.config import config_for
from patchscope.model.memory_hotplug.kconfig import (
    ACCEPTED,
    BOOLS,
    FULL_HEADER,
    config_fields,
    option,
    read_kconfig,
)
from tests.conftest import ROOT

DEBIAN_CONFIG = Path("/usr/src/linux-config-6.1/config.amd64_none_amd64.xz")
NEEDS_DEBIAN_CONFIG = pytest.mark.needs_tool(str(DEBIAN_CONFIG), apt="linux-config-6.1")
HEADER = f"#\n{FULL_HEADER}\n# Linux/x86 6.1.0 Kernel Configuration\n#\n"


@pytest.fixture(scope="module")
def debian_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's amd64 .config, decompressed to a temporary file (tests using it carry
    NEEDS_DEBIAN_CONFIG, so they skip without it outside CI and fail under CI=true)."""
    path = tmp_path_factory.mktemp("kconfig") / "config-6.1-amd64"
    path.write_bytes(lzma.decompress(DEBIAN_CONFIG.read_bytes()))
    return path


def _says(text: str, symbol: str) -> int:
    """What a full .config says of a bool symbol, read with a regex of its own: 1 for =y."""
    return int(re.search(rf"^{symbol}=y$", text, re.MULTILINE) is not None)


@NEEDS_DEBIAN_CONFIG
def test_debian_config_is_read_as_the_file_says(debian_config: Path) -> None:
    text = debian_config.read_text()
    # the facts the file states, written out: SPARSEMEM_VMEMMAP and MEMORY_HOTREMOVE on, and
    # DEBUG_VM not set (so DEBUG_VM_PGFLAGS, which depends on it, is not in the file at all)
    assert "\nCONFIG_SPARSEMEM_VMEMMAP=y\n" in text
    assert "\nCONFIG_MEMORY_HOTREMOVE=y\n" in text
    assert "\n# CONFIG_DEBUG_VM is not set\n" in text
    assert "CONFIG_DEBUG_VM_PGFLAGS" not in text
    read = read_kconfig(str(debian_config))
    assert read.arch == "x86_64"
    assert dict(read.options) == {
        "CONFIG_SPARSEMEM_VMEMMAP": 1,
        "CONFIG_MEMORY_HOTREMOVE": 1,
        "CONFIG_DEBUG_VM": 0,
        "CONFIG_DEBUG_VM_PGFLAGS": 0,
    }
    assert dict(read.options) == {symbol: _says(text, symbol) for symbol in BOOLS}
    named = set(re.findall(r"^(?:# )?(CONFIG_\w+)(?:=| is not set$)", text, re.MULTILINE))
    assert set(read.ignored) == named - {*BOOLS, "CONFIG_MEMORY_HOTPLUG", "CONFIG_X86_64"}
    assert {"CONFIG_NUMA", "CONFIG_RANDOMIZE_MEMORY"} <= set(read.ignored)


@NEEDS_DEBIAN_CONFIG
def test_debian_config_without_its_header_is_a_defconfig(
    debian_config: Path, tmp_path: Path
) -> None:
    stripped = tmp_path / "defconfig"
    stripped.write_text(debian_config.read_text().replace(FULL_HEADER, "# edited by hand"))
    with pytest.raises(PatchscopeError, match=r"not a full \.config .* a defconfig"):
        read_kconfig(str(stripped))


def _write(tmp_path: Path, body: str, *, header: str = HEADER) -> str:
    path = tmp_path / ".config"
    path.write_text(header + body)
    return str(path)


def test_a_hand_written_config_perturbed_from_debian(tmp_path: Path) -> None:
    """Each option the other way round: left out or `is not set` is off, =y is on."""
    body = (
        "CONFIG_X86_64=y\nCONFIG_MEMORY_HOTPLUG=y\n# CONFIG_SPARSEMEM_VMEMMAP is not set\n"
        "CONFIG_DEBUG_VM=y\nCONFIG_DEBUG_VM_PGFLAGS=y\nCONFIG_E1000=m\nCONFIG_NR_CPUS=64\n"
    )
    read = read_kconfig(_write(tmp_path, body))
    assert dict(read.options) == {
        "CONFIG_SPARSEMEM_VMEMMAP": 0,
        "CONFIG_DEBUG_VM": 1,
        "CONFIG_DEBUG_VM_PGFLAGS": 1,
        "CONFIG_MEMORY_HOTREMOVE": 0,
    }
    assert read.ignored == ("CONFIG_E1000", "CONFIG_NR_CPUS")
    config = config_for("x86_64", **config_fields(read.arch, read.options))
    assert (config.sparsemem_vmemmap, config.memory_hotremove) == (False, False)
    assert (config.debug_vm, config.debug_vm_pgflags) == (True, True)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("CONFIG_X86_64=y\n# CONFIG_MEMORY_HOTPLUG is not set\n", "no memory hotplug to replay"),
        ("CONFIG_X86_64=y\nCONFIG_MEMORY_HOTPLUG=y\nCONFIG_DEBUG_VM=m\n", "CONFIG_DEBUG_VM=m"),
        ("CONFIG_X86=y\nCONFIG_MEMORY_HOTPLUG=y\n", "none of the model's arches"),
        ("CONFIG_X86_64=y\nCONFIG_MEMORY_HOTPLUG=y\nhello\n", "line 7: not a .config line"),
    ],
)
def test_a_config_the_model_cannot_take(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(PatchscopeError, match=re.escape(problem)):
        read_kconfig(_write(tmp_path, body))


def test_an_arm64_config_names_its_arch(tmp_path: Path) -> None:
    read = read_kconfig(_write(tmp_path, "CONFIG_ARM64=y\nCONFIG_MEMORY_HOTPLUG=y\n"))
    assert read.arch == "arm64"
    hotremove = _write(tmp_path, "CONFIG_ARM64=y\nCONFIG_MEMORY_HOTPLUG=y\n")
    options = (*read_kconfig(hotremove).options, ("CONFIG_MEMORY_HOTREMOVE", 1))
    with pytest.raises(PatchscopeError, match="arm64 does not select ARCH_ENABLE_MEMORY"):
        config_fields("arm64", options)


@pytest.mark.parametrize("symbol", sorted(BOOLS))
def test_every_option_the_model_reads_in_y_and_n(symbol: str) -> None:
    assert option(symbol, "y") == (symbol, 1)
    assert option(symbol, "n") == (symbol, 0)
    with pytest.raises(PatchscopeError, match=rf"{symbol}=m: a bool option is built in or not"):
        option(symbol, "m")
    field = BOOLS[symbol]
    assert getattr(config_for("x86_64", **config_fields("x86_64", [(symbol, 0)])), field) is False


def test_an_unknown_key_lists_the_accepted_ones() -> None:
    with pytest.raises(PatchscopeError) as caught:
        option("debug_vm", "n")
    accepted = ", ".join(ACCEPTED)
    assert str(caught.value) == f"--config: unknown key 'debug_vm' (accepted: {accepted})"
    assert {*BOOLS, "CONFIG_MEMORY_HOTPLUG", "boot_memory_end", "nr_nodes"} == set(ACCEPTED)


def test_kconfig_dependencies() -> None:
    """lib/Kconfig.debug: DEBUG_VM_PGFLAGS depends on DEBUG_VM."""
    assert config_fields("x86_64", [("CONFIG_DEBUG_VM", 0)]) == {
        "debug_vm": False,
        "debug_vm_pgflags": False,
    }
    assert config_fields("x86_64", [("CONFIG_DEBUG_VM_PGFLAGS", 0)]) == {"debug_vm_pgflags": False}
    with pytest.raises(PatchscopeError, match="DEBUG_VM_PGFLAGS=y depends on CONFIG_DEBUG_VM"):
        config_fields("x86_64", [("CONFIG_DEBUG_VM", 0), ("CONFIG_DEBUG_VM_PGFLAGS", 1)])


@NEEDS_DEBIAN_CONFIG
def test_replay_reads_debian_config_and_config_overrides_it(
    debian_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--kconfig: DEBUG_VM not set, so nothing checks the poisoned memmap patch 3 leaves;
    --config after it turns the checks back on, as scripts/config would edit the file."""
    schema = json.loads((ROOT / "patchscope" / "schema" / "replay.schema.json").read_text())
    argv = ["replay", "online", "--stage", "3", "--json", "--kconfig", str(debian_config)]
    runs = []
    for extra in ([], ["--config", "CONFIG_DEBUG_VM=y", "CONFIG_DEBUG_VM_PGFLAGS=y"]):
        assert main([*argv, *extra]) == 0
        document = json.loads(capsys.readouterr().out)
        jsonschema.validate(document, schema)
        runs.append(document)
    plain, debug = runs
    assert plain["kconfig"]["read"]["CONFIG_DEBUG_VM"] == 0
    assert "CONFIG_NUMA" in plain["kconfig"]["ignored"]
    assert [f["rule"] for f in plain["findings"]] == []
    assert {f["rule"] for f in debug["findings"]} == {"invariant-poisoned-read"}
    assert main([*argv, "--arch", "ppc64"]) == 2
    assert capsys.readouterr().err == (
        "patchscope: --arch ppc64, but the --kconfig file is for x86_64\n"
    )
