"""A self-written series whose subjects, file names and code carry markup and formulas."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
FORMULA = "=cmd|' /C calc'!A0"
# A file name a browser would read as markup, and one a spreadsheet would read as a formula.
EVIL_FILE = 'mm/"><img src=x onerror=alert(1)>.c'
FORMULA_FILE = "=cmd|calc.c"
SUBJECTS = (f"mm: {SCRIPT} in a subject", f"mm: {IMG} {JS}", FORMULA)


def make_hostile_series(where: Path) -> Path:
    """Three commits, each subject hostile, as `git format-patch` mails in one mbox."""
    repo = where / "hostile"
    (repo / "mm").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "mm" / "base.c").write_text("int base(void)\n{\n\treturn 0;\n}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    files = (
        (EVIL_FILE, "int evil(void)\n{\n\treturn base();\n}\n"),
        ("mm/base.c", "int base(void)\n{\n\treturn 1;\n}\n"),
        (FORMULA_FILE, "int formula(void)\n{\n\treturn 2;\n}\n"),
    )
    for subject, (name, text) in zip(SUBJECTS, files, strict=True):
        (repo / name).write_text(text)
        git(repo, "add", "-A")
        message = f"{subject}\n\nWhy: {SCRIPT} {IMG}\n\nSigned-off-by: Ada Hacker <ada@example.org>"
        git(repo, "commit", "-q", "-m", message)
    out = where / "hostile-mails"
    git(repo, "format-patch", "-q", "--stat=80", "-o", str(out), "HEAD~3..HEAD")
    mbox = where / "hostile.mbox"
    mbox.write_text("".join(p.read_text() for p in sorted(out.glob("*.patch"))))
    return mbox
