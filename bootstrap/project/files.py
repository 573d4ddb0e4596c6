"""The one way ecsenv writes (and reads back) files in a project: ecsenv.yaml, generated backend configs and tfvars,
env add's Terraform files, and `.ecsenv/` (the emulator's record and log, saved plans and their metadata).

- Never through a symbolic link, and never outside the project: a repository can carry links (`.ecsenv/` or
  `environments/x` pointing elsewhere), and following them would overwrite, or print in a diff, a file the user did
  not mean. Every path component below the project directory is checked with lstat, and files are opened with
  O_NOFOLLOW; a link is refused with exit 2 naming it.
- Atomically: a temporary file in the same directory, then rename(2), so an interrupted write never leaves half a
  file (the rename replaces a directory entry; it does not follow a link planted in between).
- With the mode a user expects: files to commit are created like an editor creates them (0666 minus the umask, so
  0644 under the usual 022), and keep their mode when rewritten; private files (plans, plan metadata, the emulator's
  record and log, which can hold state) are 0600 in a 0700 directory.
- Writability is checked before the work that needs it (`check_writable`): init must not create a bucket and then
  fail to write ecsenv.yaml.
"""

import os
import stat
import tempfile

from bootstrap.errors import UserError

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _root_of(project_dir, path):
    return os.path.abspath(project_dir if project_dir is not None else os.path.dirname(os.path.abspath(path)))


def _components(project_dir, path):
    """(project root, [each path component below it, ending with path itself]), as the user wrote the project
    directory (so messages name `environments/x`, not a long absolute path); UserError when path is not inside."""
    root = _root_of(project_dir, path)
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative == "." or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise UserError(f"refusing to write {path}: it is outside the project directory {root}")
    shown = project_dir if project_dir is not None else os.path.dirname(path)
    parts, current = [], shown
    for part in relative.split(os.sep):
        current = os.path.join(current, part)
        parts.append(os.path.normpath(current))
    return root, parts


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None  # an ancestor is a file: reported by the caller at that ancestor
    except OSError as exc:  # a directory on the way that may not be searched
        raise UserError(f"cannot reach {path}: {exc.strerror}") from None


def check_path(project_dir, path):
    """Refuse (UserError, naming it) a symbolic link or a non-directory anywhere on the way to `path` inside the
    project, or `path` itself being a link or not a regular file. Returns whether `path` exists."""
    _, parts = _components(project_dir, path)
    for index, part in enumerate(parts):
        info = _lstat(part)
        if info is None:
            return False
        if stat.S_ISLNK(info.st_mode):
            raise UserError(f"refusing to write through {part}: it is a symbolic link (to {os.readlink(part)}); "
                            "remove it and run the command again")
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(info.st_mode):
            raise UserError(f"cannot write {path}: {part} is not a directory; move it aside")
        if last and not stat.S_ISREG(info.st_mode):
            raise UserError(f"cannot write {path}: it exists and is not a regular file")
    return True


def make_dirs(project_dir, directory, private=False):
    """Create `directory` (inside the project) and its missing parents, never through a link."""
    _, parts = _components(project_dir, os.path.join(directory, "x"))
    for part in parts[:-1]:
        info = _lstat(part)
        if info is None:
            try:
                os.mkdir(part, PRIVATE_DIR if private else 0o777)
            except FileExistsError:
                pass
            except OSError as exc:
                raise UserError(f"cannot create directory {part}: {exc.strerror}") from None
            info = os.lstat(part)
        if stat.S_ISLNK(info.st_mode):
            raise UserError(f"refusing to write through {part}: it is a symbolic link (to {os.readlink(part)}); "
                            "remove it and run the command again")
        if not stat.S_ISDIR(info.st_mode):
            raise UserError(f"cannot write in {directory}: {part} is not a directory; move it aside")
    return directory


def write_text(path, text, project_dir=None, private=False):
    """Write `text` to `path` atomically (see the module docstring). project_dir None: the file's own directory is
    the boundary (only the file itself is checked)."""
    exists = check_path(project_dir, path)
    directory = os.path.dirname(os.path.abspath(path))
    make_dirs(project_dir if project_dir is not None else directory, directory, private=private)
    mode = PRIVATE_FILE if private else None
    if exists and not private:
        mode = stat.S_IMODE(os.lstat(path).st_mode)  # an editor keeps the mode of the file it saves
    tmp = None
    try:
        for _ in range(100):
            tmp = os.path.join(directory, f".tmp-{os.urandom(6).hex()}-{os.path.basename(path)}")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                             PRIVATE_FILE if private else 0o666)  # 0o666: the umask decides, as for any new file
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free temporary name in {directory}")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


def write_if_missing(path, text, project_dir=None, private=False):
    if not check_path(project_dir, path):
        write_text(path, text, project_dir, private)


def read_text(path, project_dir=None):
    """A file's text, or None when it does not exist; never through a link (a diff must not print a file outside
    the project)."""
    if not check_path(project_dir, path):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text: move it aside, or fix its encoding") from None


def open_private_log(path, project_dir=None):
    """An append-only binary handle on a private log (the emulator's), created 0600, never through a link."""
    check_path(project_dir, path)
    make_dirs(project_dir, os.path.dirname(os.path.abspath(path)), private=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, PRIVATE_FILE)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None
    os.fchmod(fd, PRIVATE_FILE)  # a log left 0644 by an older version
    return os.fdopen(fd, "ab")


def prepare_private_target(path, project_dir=None):
    """Before another program (terraform -out=) writes `path`: its directory exists (private), and neither it nor
    any directory on the way is a link."""
    check_path(project_dir, path)
    make_dirs(project_dir, os.path.dirname(os.path.abspath(path)), private=True)
    return path


def make_private(path):
    """Mode 0600 for a file another program wrote (terraform's plan file: it holds the prior state)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except FileNotFoundError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def remove(path, project_dir=None):
    """Delete a file ecsenv wrote, if it is there (unlink removes a link itself, never its target)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def check_writable(project_dir, paths):
    """Before work that must be followed by writing `paths` (init: the bucket, then ecsenv.yaml): each one's
    directory, or its nearest existing ancestor inside the project, takes a new file. Probed by creating and removing
    one (os.access is not enough: root passes it on a read-only file system, and it ignores the links and files
    that check_path refuses). UserError naming the directory."""
    probed = set()
    for path in paths:
        check_path(project_dir, path)
        directory = os.path.dirname(os.path.abspath(path))
        while not os.path.isdir(directory) and directory != os.path.dirname(directory):
            directory = os.path.dirname(directory)
        if directory in probed:
            continue
        probed.add(directory)
        try:
            fd, probe = tempfile.mkstemp(dir=directory, prefix=".ecsenv-write-check-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UserError(f"cannot write in {directory}: {exc.strerror or exc}; nothing was changed") from None
