"""run_checks: every check registered under its stable id, findings in the printing order."""

from __future__ import annotations

from pathlib import Path

from patchscope.checks.run import CHECKS, run_checks
from patchscope.findings import sort_findings
from tests.checks.kit import make_series

# The ids the issue names; baselines and hooks refer to them, so they may not drift.
RULES = {
    "macro-precedence",
    "undeclared-global",
    "guard-mismatch",
    "prototype-incomplete",
    "rename-leftover",
    "bisect-order",
    "claim-mismatch",
    "cross-area-state",
}


def test_every_rule_is_registered() -> None:
    assert set(CHECKS) == RULES


def test_findings_of_several_checks_in_one_sorted_list(tmp_path: Path) -> None:
    patch = {
        "include/linux/hpflags.h": "#define HP_ALT 1 << 2\n",
        "mm/hpflags.c": "#include <linux/hpflags.h>\n\nbool hp_on = true;\n\n"
        "void hp_clear(unsigned long *flags)\n{\n\tif (hp_on)\n\t\t*flags &= ~HP_ALT;\n}\n",
        "drivers/hp/probe.c": "void hp_probe(void)\n{\n\thp_on = false;\n}\n",
    }
    made = make_series(tmp_path, {"mm/Makefile": "obj-y += hpflags.o\n"}, [("mm: flags", patch)])
    found = run_checks(made.series, made.facts)
    assert [(f.rule, f.file) for f in found] == [
        ("undeclared-global", "drivers/hp/probe.c"),
        ("cross-area-state", "drivers/hp/probe.c"),
        ("macro-precedence", "mm/hpflags.c"),
    ]
    assert list(found) == sort_findings(found)
