"""run_checks: every check registered under its stable id, findings in the printing order."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _loaded_by_check(source: Path) -> set[str]:
    """The patchscope.checks modules a fresh `patchscope check --no-model` run has loaded."""
    top = Path(__file__).resolve().parents[2]
    script = (
        "import sys, contextlib, io\n"
        "from patchscope.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['check', '--offline', '--no-model', '--json', {str(source)!r}])\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('patchscope.checks.')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(top)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


SOLVER_SIDE = {"patchscope.checks.claim_judge", "patchscope.checks.macro_judge"}


def test_the_comparing_side_loads_only_for_a_claim_or_a_macro(tmp_path: Path) -> None:
    """Start-up: a series that claims nothing and shows no macro never loads the C
    evaluator; one that claims a cleanup, or one that defines a macro, does."""
    base = {"mm/hp.c": "int hp_limit(int n)\n{\n\treturn n + 1;\n}\n"}
    change = {"mm/hp.c": "int hp_limit(int n)\n{\n\treturn n + 2;\n}\n"}
    plain = make_series(tmp_path / "plain", base, [("mm: raise the limit", change)])
    loaded = _loaded_by_check(plain.patch_dir)
    assert "patchscope.checks.run" in loaded
    assert not loaded & (SOLVER_SIDE | {"patchscope.checks.cexpr", "patchscope.checks.nfc"})

    claimed = make_series(tmp_path / "claimed", base, [("mm: clean up hp_limit", change)])
    loaded = _loaded_by_check(claimed.patch_dir)
    assert {"patchscope.checks.claim_judge", "patchscope.checks.cexpr"} <= loaded

    macro = {"mm/hp.c": "#define HP_STEP 2\n" + change["mm/hp.c"]}
    shown = make_series(tmp_path / "macro", base, [("mm: name the step", macro)])
    assert "patchscope.checks.macro_judge" in _loaded_by_check(shown.patch_dir)
