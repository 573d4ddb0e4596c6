"""`.ecsenv/` in the project: ecsenv's local working files (the emulator's record, saved plans). Never committed:
it ignores itself, so it does not make the work tree dirty even in a repo whose .gitignore does not list it."""

import os

NAME = ".ecsenv"


def ensure(project_dir, *subdirs):
    """The path of .ecsenv/<subdirs>, created (with its self-ignoring .gitignore) if missing."""
    root = os.path.join(project_dir, NAME)
    path = os.path.join(root, *subdirs)
    os.makedirs(path, exist_ok=True)
    ignore = os.path.join(root, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w", encoding="utf-8") as handle:
            handle.write("*\n")
    return path
