"""What the hook scripts run: `patchscope hook run pre-push|pre-commit|commit-msg ...`.

Every hook only reads: git is asked for revisions and diffs, mails are written to a
temporary folder, and the work tree, the index and the refs stay as they were.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from patchscope.baseline import FILE_NAME, Judged, baseline_at, git_top, judge
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS, PatchscopeError
from patchscope.findings import Finding
from patchscope.hooks.install import HookError
from patchscope.ingest.signoff import RULES as SIGNOFF_RULES

# Findings about the commit message; a staged diff has none yet (commit-msg judges it).
MESSAGE_RULES = SIGNOFF_RULES | {"claim-mismatch"}
_NULL_SHA = re.compile(r"0+")
# The options that make `git diff --cached` print a plain patch whatever the user configured.
_DIFF_OPTIONS = (
    "--cached",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--unified=3",
    "-M",
)


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`; a failure is one line naming the command."""
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        complaint = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise HookError(f"git {' '.join(args[:2])} failed in {repo}: {complaint}")
    return done.stdout


def work_tree(where: Path) -> Path:
    top = git_top(where)
    if top is None:
        raise HookError(f"{where} is not inside a git work tree")
    return top


# ----- pre-push -----


@dataclass(frozen=True)
class Push:
    """One line git gives pre-push on stdin."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str


def read_pushes(lines: Iterable[str]) -> list[Push]:
    pushes = []
    for line in lines:
        words = line.split()
        if not words:
            continue
        if len(words) != 4:
            raise HookError(f"pre-push: cannot read the pushed ref line {line.strip()!r}")
        pushes.append(Push(*words))
    return pushes


@dataclass(frozen=True)
class Range:
    ref: str
    base: str | None  # None: nothing to compare with (only root commits are new)
    tip: str


def push_ranges(repo: Path, remote: str, pushes: list[Push]) -> list[Range]:
    """The commits each pushed ref brings; deletions are skipped."""
    return [
        Range(p.local_ref, _push_base(repo, remote, p), p.local_sha)
        for p in pushes
        if not _NULL_SHA.fullmatch(p.local_sha)
    ]


def _push_base(repo: Path, remote: str, push: Push) -> str | None:
    """The remote's old tip when we have it; for a new branch the merge-base with the
    remote's default branch, else the parent of the oldest commit no remote ref holds."""
    if not _NULL_SHA.fullmatch(push.remote_sha) and _commit(repo, push.remote_sha):
        return push.remote_sha
    default = _commit(repo, f"refs/remotes/{remote}/HEAD")
    if default is not None:
        return git(repo, "merge-base", default, push.local_sha).strip() or None
    new = git(repo, "rev-list", "--reverse", push.local_sha, "--not", "--remotes").split()
    if not new:
        return push.local_sha  # everything is on a remote already: an empty range
    return _commit(repo, f"{new[0]}^")


def _commit(repo: Path, rev: str) -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def pre_push(where: Path, remote: str, lines: Iterable[str], *, fail_on: str) -> int:
    """Check every pushed range as a series; the worst exit code wins."""
    from patchscope.commands.check import run_check

    repo = work_tree(where)
    code = EXIT_CLEAN
    for pushed in _ranges_to_check(repo, remote, lines):
        if pushed.base is None:
            print(f"patchscope: {pushed.ref}: only root commits are new; not checked")
            continue
        count = int(git(repo, "rev-list", "--count", "--no-merges", f"{pushed.base}..{pushed.tip}"))
        if count == 0:
            continue
        print(f"patchscope: {pushed.ref}: {count} commits, {pushed.base[:12]}..{pushed.tip[:12]}")
        source = f"git:{repo}@{pushed.base}..{pushed.tip}"
        # no model: a hook stays fast (`patchscope check` without --no-model adds it)
        checked = run_check(
            source, tree=None, as_json=False, fail_on=fail_on, offline=True, model=False
        )
        code = max(code, checked)
    return _verdict(code)


def _ranges_to_check(repo: Path, remote: str, lines: Iterable[str]) -> list[Range]:
    """git's stdin lines, or the range the pre-commit framework names in its environment
    (it has read stdin itself and worked out the base)."""
    env_from, env_to = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if env_from and env_to:
        ref = os.environ.get("PRE_COMMIT_LOCAL_BRANCH", env_to)
        return [Range(ref, _commit(repo, env_from), env_to)]
    return push_ranges(repo, remote, read_pushes(lines))


# ----- pre-commit -----


def staged_diff(repo: Path) -> str:
    return git(repo, "diff", *_DIFF_OPTIONS)


def pre_commit(where: Path, *, fail_on: str) -> int:
    """Check the staged diff as one patch; its message is commit-msg's to judge."""
    from patchscope.gather import static_findings
    from patchscope.pipeline import analyse

    repo = work_tree(where)
    waivers = baseline_at(repo)
    diff = staged_diff(repo)
    if not diff.strip():
        return EXIT_CLEAN
    with _temporary("staged.patch", diff.encode()) as path:
        found = static_findings(analyse(str(path), tree=None, offline=True))
    judged = judge((f for f in found if f.rule not in MESSAGE_RULES), waivers)
    return _report_if_any(judged, fail_on)


# ----- commit-msg -----


def commit_msg(where: Path, message_file: str, *, fail_on: str) -> int:
    """Check the message's shape, and its claims against the staged diff."""
    from patchscope.hooks.message import cleaned, message_findings

    repo = work_tree(where)
    waivers = baseline_at(repo)
    try:
        text = Path(message_file).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise HookError(f"cannot read commit message {message_file}: {exc.strerror}") from None
    message = cleaned(text)
    found = [*message_findings(message), *_claim_findings(repo, message)]
    return _report_if_any(judge(found, waivers), fail_on)


def _claim_findings(repo: Path, message: str) -> list[Finding]:
    """claim-mismatch on the message and the staged diff, read as one mailed patch."""
    from patchscope.checks import claim_mismatch
    from patchscope.code.facts import series_facts
    from patchscope.hooks.message import as_mail
    from patchscope.pipeline import load_series

    diff = staged_diff(repo)
    if not diff.strip() or not message.strip():
        return []
    ident = git(repo, "var", "GIT_AUTHOR_IDENT")
    with _temporary("commit.eml", as_mail(message, diff, ident)) as path:
        series = load_series(str(path))
    return claim_mismatch.check(series, series_facts(series))


def _report_if_any(judged: list[Judged], fail_on: str) -> int:
    """A hook that finds nothing stays silent, as git's own hooks do."""
    from patchscope.commands.check import report

    if not judged:
        return EXIT_CLEAN
    return _verdict(report(judged, as_json=False, fail_on=fail_on))


def _verdict(code: int) -> int:
    """The exit code, with what to do next when it blocks."""
    if code == EXIT_FINDINGS:
        print(
            f"patchscope: blocked. Fix the findings, or mute one you have judged with its "
            f"fingerprint and a reason in {FILE_NAME} at the top of the tree "
            "([[waiver]] fingerprint = ..., reason = ...); --no-verify skips the hook once.",
            file=sys.stderr,
        )
    return code


@contextmanager
def _temporary(name: str, data: bytes) -> Iterator[Path]:
    """A file in a fresh temporary folder, removed with the folder afterwards."""
    with tempfile.TemporaryDirectory(prefix="patchscope-hook-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def run(hook: str, args: list[str], *, fail_on: str, where: Path | None = None) -> int:
    """Dispatch one hook with the arguments git gave its script."""
    where = where or Path.cwd()
    try:
        if hook == "pre-push":
            remote = args[0] if args else "origin"
            return pre_push(where, remote, sys.stdin, fail_on=fail_on)
        if hook == "pre-commit":
            return pre_commit(where, fail_on=fail_on)
        if not args:
            raise HookError("commit-msg: the message file is missing")
        return commit_msg(where, args[0], fail_on=fail_on)
    except PatchscopeError as exc:
        raise HookError(f"{hook} hook: {exc}") from None
