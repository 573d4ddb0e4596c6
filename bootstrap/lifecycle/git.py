"""What the lifecycle commands need to know from git: the commit, whether the tree is clean, whether a commit is on
the trunk (the branch releases come from: ecsenv.yaml's `trunk`, else the remote's HEAD branch, else main), and how
far apart two commits are. Read-only; the git CLI does the work."""

import re
import subprocess

from bootstrap.errors import UserError

DEFAULT_TRUNK = "main"


def _git(project_dir, *args, check=True):
    try:
        result = subprocess.run(["git", "-C", project_dir, *args], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise UserError("git is not installed; ecsenv ties every plan and apply to a commit") from None
    if check and result.returncode != 0:
        raise UserError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result


def head_sha(project_dir):
    result = _git(project_dir, "rev-parse", "--verify", "HEAD", check=False)
    if result.returncode != 0:
        raise UserError(f"{project_dir} is not a git repository with a commit: ecsenv ties every plan and apply "
                        "to a commit (git init && git commit first)")
    return result.stdout.strip()


def is_dirty(project_dir):
    """Uncommitted changes to tracked files, or untracked files that are not ignored, in the project directory."""
    return bool(dirty_paths(project_dir))


def dirty_paths(project_dir):
    """The paths (relative to the repository's top) with uncommitted changes or untracked and not ignored, under the
    project directory only: in a monorepo, work in progress on the application beside it does not block an apply."""
    output = _git(project_dir, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".").stdout
    entries = output.split("\0")
    paths, index = [], 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy: the next entry is its source
            index += 1
    return paths


def trunk_name(project_dir, trunk=None):
    """The trunk branch's name: the configured one, else the branch the remote's HEAD names (`origin/HEAD`, set by
    clone), else main."""
    if trunk:
        return trunk
    remote_head = _git(project_dir, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False)
    if remote_head.returncode == 0 and remote_head.stdout.strip().startswith("origin/"):
        return remote_head.stdout.strip().removeprefix("origin/")
    return DEFAULT_TRUNK


def main_ref(project_dir, trunk=None):
    """The trunk as a ref that exists here (the local branch, else the remote's), or None."""
    name = trunk_name(project_dir, trunk)
    for ref in (name, f"origin/{name}"):
        if _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).returncode == 0:
            return ref
    return None


def main_sha(project_dir, trunk=None):
    ref = main_ref(project_dir, trunk)
    return _git(project_dir, "rev-parse", ref).stdout.strip() if ref else None


def is_on_main(project_dir, sha, trunk=None):
    """True when the commit is the trunk's or an ancestor of it."""
    ref = main_ref(project_dir, trunk)
    if ref is None:
        return False
    return is_on_ref(project_dir, sha, ref)


def is_on_ref(project_dir, sha, ref):
    """True when the commit is `ref`'s or an ancestor of it."""
    return _git(project_dir, "merge-base", "--is-ancestor", sha, ref, check=False).returncode == 0


def commits_between(project_dir, older, newer):
    """How many commits `newer` has that `older` lacks (None when a commit is unknown here)."""
    result = _git(project_dir, "rev-list", "--count", f"{older}..{newer}", check=False)
    return int(result.stdout.strip()) if result.returncode == 0 else None


def recent_commits(project_dir, ref, count):
    """[(sha, subject)] of the newest `count` commits of ref's first-parent line, newest first (the trunk's own
    history, not every merged branch's commits); [] when ref is unknown."""
    result = _git(project_dir, "log", "--first-parent", f"--max-count={count}", "--format=%H%x00%s", ref,
                  check=False)
    if result.returncode != 0:
        return []
    return [tuple(line.split("\0", 1)) for line in result.stdout.splitlines() if "\0" in line]


def toplevel(project_dir):
    """The repository's root directory."""
    return _git(project_dir, "rev-parse", "--show-toplevel").stdout.strip()


def changed_paths(project_dir, since):
    """Paths (relative to the repository root) that differ between `since` and the work tree's HEAD, plus
    uncommitted ones. An unknown `since` is a UserError naming it."""
    if _git(project_dir, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}", check=False).returncode != 0:
        raise UserError(f"--changed-since {since!r} is not a commit or ref in this repository")
    committed = _git(project_dir, "diff", "--name-only", f"{since}...HEAD").stdout.split("\n")
    uncommitted = _git(project_dir, "diff", "--name-only", "HEAD").stdout.split("\n")
    return sorted({path for path in committed + uncommitted if path})


FULL_SHA_LENGTH = 40
MIN_PREFIX = 7


def _is_hex(text):
    return bool(text) and all(char in "0123456789abcdef" for char in text.lower())


def resolve_commit(project_dir, ref):
    """The full commit SHA that `ref` names: a full SHA, a unique prefix of at least 7 hex digits, or a git ref
    (HEAD, a tag, a branch). A full SHA this clone does not know is taken as it is (a shallow CI clone may lack it;
    the image tag is what counts). Raises UserError naming what is wrong."""
    if ref.startswith("-"):
        raise UserError(f"{ref!r} is not a commit")
    if len(ref) == FULL_SHA_LENGTH and _is_hex(ref):
        return ref.lower()
    if _is_hex(ref) and len(ref) < MIN_PREFIX:
        raise UserError(f"{ref!r} is too short to name a commit: give at least {MIN_PREFIX} characters of the SHA")
    try:
        result = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    except UserError:
        raise UserError(f"{ref!r} is not a full commit SHA, and resolving it needs git") from None
    if result.returncode == 0:
        return result.stdout.strip()
    if _is_hex(ref):
        # rev-parse says nothing useful for an ambiguous prefix under --quiet; ask once more for its reason.
        detail = _git(project_dir, "rev-parse", "--verify", f"{ref}^{{commit}}", check=False).stderr.strip()
        if "ambiguous" in detail:
            raise UserError(f"the short SHA {ref!r} is ambiguous in this repository: give more characters")
        raise UserError(f"no commit {ref!r} in this repository (fetch it, or give the full 40-character SHA)")
    raise UserError(f"{ref!r} names no commit in this repository (a full or short SHA, a tag, or HEAD)")


# The forms `git clone` takes for a GitHub repository: https://[user@]github.com/owner/name[.git][/],
# ssh://git@github.com[:22]/owner/name[.git] and the scp-like git@github.com:owner/name[.git].
_GITHUB_REMOTE = re.compile(r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?github\.com(?::\d+)?/|[^@/:]+@github\.com:)"
                            r"([^/]+/[^/]+?)(?:\.git)?/?$", re.IGNORECASE)


def github_repository_of(url):
    """owner/name of a github.com remote URL, or None (another host, or not a repository URL)."""
    from bootstrap.project import validation

    match = _GITHUB_REMOTE.match((url or "").strip())
    if not match or validation.github_repository(match.group(1)):
        return None
    return match.group(1)


def origin_github_repository(project_dir):
    """owner/name of the `origin` remote when it is on github.com; None otherwise (no git, no repository, no such
    remote, another host)."""
    try:
        result = _git(project_dir, "remote", "get-url", "origin", check=False)
    except UserError:  # git is not installed: no remote to read
        return None
    return github_repository_of(result.stdout) if result.returncode == 0 else None
