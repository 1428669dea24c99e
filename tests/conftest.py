"""Shared test helpers: the reference thread's path, small real git series, and the
`needs_tool` marker for tests that need a program or file that pip cannot install."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.flows import Replay
    from patchscope.model.memory_hotplug.stages import Stage
    from patchscope.model.verdicts import Scenario

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE_MBOX = SHARED / "series" / "memmap-hotadd-rfc-v2" / "thread.mbox"
REFERENCE_MANIFEST = ROOT / "series" / "memmap-hotadd-rfc-v2.toml"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Hacker",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Hacker",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
    "GIT_AUTHOR_DATE": "2024-03-01T10:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-03-01T10:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run real git in `repo` with a fixed identity and no user configuration."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent)}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


@dataclass(frozen=True)
class GitSeries:
    repo: Path
    base: str
    tip: str
    patch_dir: Path  # git format-patch output, with a cover letter we filled in
    mbox: Path  # the same mails concatenated as an mbox


# Four commits touching arch/, mm/ and include/: later ones edit lines earlier ones added.
_COMMITS: list[tuple[str, dict[str, str | None]]] = [
    (
        "mm: add hotplug counter",
        {
            "mm/hotplug.c": "#include <linux/hotplug.h>\n\nstatic int counter;\n\n"
            "int hotplug_add(int n)\n{\n\tcounter += n;\n\treturn counter;\n}\n",
            "include/linux/hotplug.h": "#ifndef HOTPLUG_H\n#define HOTPLUG_H\n"
            "int hotplug_add(int n);\n#endif\n",
        },
    ),
    (
        "mm: let hotplug_add fail on overflow",
        {
            "mm/hotplug.c": "#include <linux/hotplug.h>\n\nstatic int counter;\n\n"
            "int hotplug_add(int n)\n{\n\tif (counter + n < counter)\n\t\treturn -1;\n"
            "\tcounter += n;\n\treturn counter;\n}\n",
        },
    ),
    (
        "x86: call hotplug_add at boot",
        {
            "arch/x86/mm/init.c": "#include <linux/hotplug.h>\n\nvoid x86_init(void)\n{\n"
            "\thotplug_add(1);\n}\n",
        },
    ),
    (
        "mm: rename counter to nr_added",
        {
            "mm/hotplug.c": "#include <linux/hotplug.h>\n\nstatic int nr_added;\n\n"
            "int hotplug_add(int n)\n{\n\tif (nr_added + n < nr_added)\n\t\treturn -1;\n"
            "\tnr_added += n;\n\treturn nr_added;\n}\n",
        },
    ),
]


def _write(repo: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def make_git_series(where: Path) -> GitSeries:
    """A repo with a base commit and four commits, and its format-patch mails with a cover."""
    repo = where / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    _write(repo, {"README": "toy tree\n", "mm/Makefile": "obj-y += hotplug.o\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    for subject, files in _COMMITS:
        _write(repo, files)
        git(repo, "add", "-A")
        git(
            repo,
            "commit",
            "-q",
            "-m",
            f"{subject}\n\nWhy: {subject}.\n\nSigned-off-by: Ada Hacker <ada@example.org>",
        )
    tip = git(repo, "rev-parse", "HEAD").strip()
    patch_dir = where / "outgoing"
    git(
        repo,
        "format-patch",
        "-q",
        "--cover-letter",
        "--stat=80",
        "-o",
        str(patch_dir),
        f"{base}..{tip}",
    )
    cover = next(patch_dir.glob("0000-*"))
    stat = git(repo, "diff", "--stat=80", f"{base}..{tip}")
    text = cover.read_text().replace("*** SUBJECT HERE ***", "toy hotplug counter")
    text = text.replace("*** BLURB HERE ***", "A toy series for tests.")
    cover.write_text(_replace_stat(text, stat))
    mbox = where / "series.mbox"
    mbox.write_text("".join(p.read_text() for p in sorted(patch_dir.glob("*.patch"))))
    return GitSeries(repo=repo, base=base, tip=tip, patch_dir=patch_dir, mbox=mbox)


def _replace_stat(cover: str, stat: str) -> str:
    """Put `git diff --stat BASE..TIP` where format-patch wrote its own diffstat."""
    lines = cover.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if " | " in line)
    end = next(i for i, line in enumerate(lines) if "changed" in line and i > start)
    return "".join(lines[:start]) + stat + "".join(lines[end + 1 :])


@pytest.fixture
def git_series(tmp_path: Path) -> GitSeries:
    return make_git_series(tmp_path)


def closed_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Lore at a port nobody listens on, the cache in tmp_path: nothing leaves this machine."""
    monkeypatch.setenv("PATCHSCOPE_LORE_URL", f"http://127.0.0.1:{closed_port()}/all")
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))


# The reference series' model, built and replayed once per test run: the model findings,
# check, report and batch tests share these instead of each replaying every scenario.
@pytest.fixture(scope="session")
def reference_stages() -> list[Stage]:
    from patchscope.model.memory_hotplug.stages import series_model
    from patchscope.pipeline import load_series

    return series_model(load_series(str(REFERENCE_MBOX), offline=True), "memmap_hotadd_rfc_v2")


@pytest.fixture(scope="session")
def reference_replays(reference_stages: list[Stage]) -> dict[tuple[Scenario, int], Replay]:
    from patchscope.model.verdicts import replay_stages

    return replay_stages(reference_stages)


@pytest.fixture
def shared_replays(
    monkeypatch: pytest.MonkeyPatch, reference_replays: dict[tuple[Scenario, int], Replay]
) -> None:
    """Commands run on the reference take the session's replays instead of replaying every
    scenario again (the stages they build are the same series' stages)."""
    from patchscope.model import verdicts

    original = verdicts.replay_stages

    def replay_stages(stages: object, chosen: object = None) -> object:
        return reference_replays if chosen is None else original(stages, chosen)  # type: ignore[arg-type]

    monkeypatch.setattr(verdicts, "replay_stages", replay_stages)


@pytest.fixture(scope="session")
def reference_written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """The reference report as the README's command writes it, once per run: (folder, exit
    code, stderr). The report, picture, chart and browser tests read it; none writes in it."""
    import contextlib
    import io

    from patchscope.cli import main

    out = tmp_path_factory.mktemp("reference-written") / "report"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["report", str(REFERENCE_MANIFEST), "-o", str(out), "--offline"])
    return out, code, err.getvalue()


# --- tests that need a system tool --------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before the fixtures of the test are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_tool"):
        require_tool(*mark.args, **mark.kwargs)


def require_tool(*names: str, apt: str) -> None:
    """Skip the test unless one of `names` is here: a program found on PATH, or an absolute
    path that exists. Under CI=true a missing tool fails the test instead, since CI installs
    every tool (.ci/run) and must really run what needs one.

    Mark a test (or a module, with `pytestmark`) rather than calling this directly, so that
    `pytest -m "not needs_tool"` selects what runs with Python and git alone:

        @pytest.mark.needs_tool("qemu-system-x86_64", apt="qemu-system-x86")
        @pytest.mark.needs_tool("/usr/src/linux-source-6.1.tar.xz", apt="linux-source-6.1")
    """
    if any(_present(name) for name in names):
        return
    skip_or_fail(f"needs {' or '.join(names)} (apt-get install {apt})", "a test that needs it")


def skip_or_fail(reason: str, what: str) -> NoReturn:
    """Skip with `reason`; under CI=true fail instead, since CI must really run `what`."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so {what} may not be skipped")
    pytest.skip(reason)


def _present(name: str) -> bool:
    """A program on PATH, or a path that exists and is not /dev/null bound over it (how
    .ci/bare hides a tool)."""
    if not os.path.isabs(name):
        found = shutil.which(name)
        return found is not None and not os.path.samefile(found, os.devnull)
    return os.path.exists(name) and not os.path.samefile(name, os.devnull)
