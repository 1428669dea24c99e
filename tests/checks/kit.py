"""Small git-made series for the checks' tests: a base commit, patches on top, their facts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from patchscope.code.facts import series_facts
from patchscope.code.model import SeriesFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series
from patchscope.pipeline import load_series
from tests.conftest import git

Files = dict[str, str]  # path -> whole new text


@dataclass(frozen=True)
class Made:
    repo: Path
    base: str
    patch_dir: Path
    series: Series
    facts: SeriesFacts


def _write(repo: Path, files: Files) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def make_series(where: Path, base: Files, commits: list[tuple[str, Files]]) -> Made:
    """Commit `base`, then each (message, files) as one patch; format-patch them and load."""
    repo = where / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    _write(repo, {"README": "toy tree\n", **base})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base_sha = git(repo, "rev-parse", "HEAD").strip()
    for message, files in commits:
        _write(repo, files)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"{message}\n\nSigned-off-by: Ada Hacker <ada@example.org>")
    patch_dir = where / "outgoing"
    git(repo, "format-patch", "-q", "-o", str(patch_dir), f"{base_sha}..HEAD")
    series = load_series(str(patch_dir))
    return Made(repo, base_sha, patch_dir, series, series_facts(series))


def keys(
    findings: list[Finding] | tuple[Finding, ...],
) -> set[tuple[str, int | None, str | None, str | None]]:
    """What a test pins of each finding: rule, patch, file, entity."""
    return {(f.rule, f.patch, f.file, f.entity) for f in findings}


def function(name: str, body: str, head: str = "void") -> str:
    """A C function definition with a tab-indented body."""
    lines = "".join(f"\t{line}\n" for line in body.splitlines())
    return f"{head} {name}(void)\n{{\n{lines}}}\n"
