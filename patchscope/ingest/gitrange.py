"""Git ranges (`git:PATH@BASE..TIP`): the mails `git format-patch` would write for them."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope.errors import SourceError
from patchscope.ingest import GIT_PREFIX

if TYPE_CHECKING:
    import git

# Settings a repository's or user's configuration could use to change what format-patch
# writes; pinned to git's defaults (given as command-line config, which beats every file).
_PINNED_CONFIG = (
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("diff.renames", "true"),
    ("diff.algorithm", "myers"),
    ("diff.context", "3"),
    ("diff.interHunkContext", "0"),
    ("diff.suppressBlankEmpty", "false"),
    ("diff.statGraphWidth", "-1"),
    ("core.abbrev", "auto"),
    ("core.quotePath", "true"),
    ("i18n.logOutputEncoding", "UTF-8"),
    ("format.encodeEmailHeaders", "true"),
    ("format.forceInBodyFrom", "false"),
)

# Options that override the format.* settings which have a command-line counterpart.
_FORMAT_OPTIONS = (
    "--quiet",
    "--suffix=.patch",
    "--pretty=mboxrd",  # escapes body lines starting "From ", as read_mbox expects
    "--cover-letter",
    "--cover-from-description=message",
    "--numbered",
    "--stat=80",
    "--subject-prefix=PATCH",
    "--no-thread",
    "--no-to",
    "--no-cc",
    "--no-add-header",
    "--no-attach",
    "--no-signoff",
    "--no-base",
    "--no-notes",
)


@dataclass(frozen=True)
class GitRange:
    """A `git:PATH@BASE..TIP` source: the repository and the range."""

    path: str
    base: str
    tip: str

    @property
    def spec(self) -> str:
        return f"{GIT_PREFIX}{self.path}@{self.base}..{self.tip}"


def parse_range(source: str) -> GitRange:
    """Split `git:PATH@BASE..TIP`; PATH ends at the first '@' that leaves an existing folder.

    A path may hold '@' and so may a revision (`@{u}`), so no single split is right.
    """
    body = source.removeprefix(GIT_PREFIX)
    left, dots, tip = body.rpartition("..")
    ats = [i for i, char in enumerate(left) if char == "@"]
    cut = next((i for i in ats if Path(left[:i]).is_dir()), ats[0] if ats else 0)
    path, base = left[:cut], left[cut + 1 :]
    if not (dots and tip and ats and path and base) or base.endswith("."):
        raise SourceError(f"git range must look like git:PATH@BASE..TIP, not {source}")
    return GitRange(path, base, tip)


def format_patch(spec: GitRange) -> bytes:
    """The mbox (cover letter first) of every non-merge commit of BASE..TIP, oldest first.

    Only reads objects: the work tree, the index and the refs are left as they are; the
    mails are written to a temporary folder and joined as `cat *.patch` would.
    """
    import git  # GitPython takes a tenth of a second to import: only git ranges pay for it

    try:
        repo = git.Repo(spec.path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise SourceError(f"{spec.path} is not a git repository") from None
    with repo:
        base = _resolve(repo, spec, spec.base)
        tip = _resolve(repo, spec, spec.tip)
        try:
            return _format_patch(repo, spec, base, tip)
        except git.GitCommandError as exc:
            raise SourceError(f"git failed on {spec.spec}: {_complaint(exc)}") from None


def _format_patch(repo: git.Repo, spec: GitRange, base: str, tip: str) -> bytes:
    commits = repo.git.rev_list("--no-merges", f"{base}..{tip}", env=_environment())
    if not commits.strip():
        raise SourceError(f"no commits in {spec.base}..{spec.tip}")
    with tempfile.TemporaryDirectory(prefix="patchscope-") as outgoing:
        repo.git.format_patch(
            *_FORMAT_OPTIONS,
            f"--signature={_git_version(repo)}",
            f"--output-directory={outgoing}",
            "--no-merges",
            f"{base}..{tip}",
            env=_environment() | _cover_ident(repo, tip),
        )
        # Files, not --stdout: --stdout puts an extra blank line between mails, which
        # would end up in the bodies and make them differ from format-patch's files.
        return b"".join(path.read_bytes() for path in sorted(Path(outgoing).iterdir()))


def _complaint(exc: git.GitCommandError) -> str:
    """git's own 'fatal:'/'error:' line, out of the text GitPython wraps around stderr."""
    for line in str(exc.stderr).splitlines():
        line = line.strip().removeprefix("stderr: '")
        if line.startswith(("fatal:", "error:")):
            return line.removesuffix("'")
    return f"exit code {exc.status}"


def _resolve(repo: git.Repo, spec: GitRange, rev: str) -> str:
    """A revision as a full commit id; '--end-of-options' keeps a '-rev' from being an option."""
    import git

    try:
        sha: str = repo.git.rev_parse(
            "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", env=_environment()
        )
    except git.GitCommandError:
        raise SourceError(
            f"git range {spec.base}..{spec.tip} does not resolve in {spec.path}"
        ) from None
    return sha.strip()


def _cover_ident(repo: git.Repo, tip: str) -> dict[str, str]:
    """The tip's committer and date as the cover letter's sender, instead of whoever runs us now."""
    name, email, date = repo.git.show(
        "--no-patch", "--format=%cn%x00%ce%x00%cd", "--date=raw", tip, env=_environment()
    ).split("\0")
    return {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date}


def _git_version(repo: git.Repo) -> str:
    """The text format-patch signs with by default, given explicitly so no setting replaces it."""
    version: str = repo.git.version(env=_environment())
    return version.removeprefix("git version ").strip()


def _environment() -> dict[str, str]:
    """No global or system configuration, and the pinned settings on top of the repo's own."""
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env["GIT_CONFIG_COUNT"] = str(len(_PINNED_CONFIG))
    for index, (key, value) in enumerate(_PINNED_CONFIG):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env
