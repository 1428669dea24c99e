"""cross-area-state: a driver writing a global that core mm reads."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks import cross_area_state
from tests.checks.kit import function, keys, make_series

HEADER = "include/linux/hpstate.h"
CORE = "mm/hpstate.c"


def _check(tmp_path: Path, driver: str, driver_body: str, declaration: str = "bool") -> list:
    patch = {
        HEADER: f"#ifndef HPSTATE_H\n#define HPSTATE_H\nextern {declaration} hp_enabled;\n#endif\n",
        CORE: f"#include <linux/hpstate.h>\n\n{declaration} hp_enabled = true;\n\n"
        + function("hp_add", "if (hp_enabled)\n\thp_enabled_count++;", head="void"),
        driver: "#include <linux/hpstate.h>\n\n" + function("hp_probe", driver_body, head="int"),
    }
    made = make_series(tmp_path, {"mm/Makefile": "obj-y += hpstate.o\n"}, [("mm: hp knob", patch)])
    return cross_area_state.check(made.series, made.facts, None)


def test_driver_writes_what_mm_reads(tmp_path: Path) -> None:
    found = _check(tmp_path, "drivers/hv/probe.c", "hp_enabled = false;\nreturn 0;")
    assert keys(found) == {("cross-area-state", 1, "drivers/hv/probe.c", "hp_enabled")}
    assert found[0].evidence[1:] == (
        "written: drivers/hv/probe.c:5: hp_enabled = false;",
        "read: mm/hpstate.c:7: if (hp_enabled)",
    )


def test_driver_that_only_reads_is_clean(tmp_path: Path) -> None:
    assert _check(tmp_path, "drivers/hv/probe.c", "return hp_enabled ? 1 : 0;") == []


def test_writer_outside_drivers_is_clean(tmp_path: Path) -> None:
    assert _check(tmp_path, "kernel/probe.c", "hp_enabled = false;\nreturn 0;") == []
