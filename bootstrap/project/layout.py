"""Every path and file name of a project, once: where ecsenv.yaml, the environment roots, their backend files and
generated tfvars live, and `.ecsenv/` (ecsenv's local working files: the emulator's record, saved plans).

`.ecsenv/` is never committed: it ignores itself, so it does not make the work tree dirty even in a repository whose
.gitignore does not list it."""

import os
from pathlib import Path

CONFIG_FILE = "ecsenv.yaml"
GLOBAL_ENVIRONMENT = "global_aws"  # the account-wide root (ECR repositories, CI roles); not promoted, not deployed
ENVIRONMENTS_DIR = "environments"
MODULES_DIR = "modules"
BACKEND_FILE = "backend.s3.tfbackend"
GENERATED_TFVARS = "ecsenv.auto.tfvars"
ENV_TFVARS = "env.auto.tfvars"  # the small per-environment file: what a root differs by, besides its identity
ADOPTION_FILE = "state_backend.tf"
LOCK_FILE = ".terraform.lock.hcl"  # terraform's provider lock file, committed with each root
STATE_DIR = ".ecsenv"
WORKING_FILE_SUFFIXES = (".tfstate", ".tfstate.backup", ".tfplan")  # terraform's, never part of a root's code
WORKFLOWS_DIR = os.path.join(".github", "workflows")
MASKFILE = "maskfile.md"


def _templates_dir():
    """The jinja2 templates: the top-level templates/ of a checkout, or the copy a wheel installs as
    bootstrap/templates (setup.cfg maps one onto the other)."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


TEMPLATES = _templates_dir()


def _stack_dir():
    """The stack `ecsenv init --scaffold` writes (modules/, environments/, .github/workflows/, maskfile.md): the
    top of a checkout, or the copy a wheel installs as bootstrap/stack (setup.cfg maps one onto the other)."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "stack"
    return installed if installed.is_dir() else package.parent


STACK = _stack_dir()


def config_path(project_dir):
    return os.path.join(project_dir, CONFIG_FILE)


def find_project_dir(start="."):
    """The nearest directory from `start` upwards that holds ecsenv.yaml, as git finds its repository: so a command
    run anywhere inside the project (or in a monorepo's subdirectory under it) finds it. The search stops at the
    repository's top (a directory with .git), never wandering into an enclosing project. None when there is none."""
    here = Path(start).resolve()
    for directory in (here, *here.parents):
        if (directory / CONFIG_FILE).is_file():
            return os.path.relpath(directory) if directory != here else start
        if (directory / ".git").exists():
            return None
    return None


def environment_dir(project_dir, environment):
    return os.path.normpath(os.path.join(project_dir, ENVIRONMENTS_DIR, environment))


def backend_file(project_dir, environment):
    return os.path.join(environment_dir(project_dir, environment), BACKEND_FILE)


def generated_tfvars(project_dir, environment):
    return os.path.join(environment_dir(project_dir, environment), GENERATED_TFVARS)


def adoption_file(project_dir):
    return os.path.join(environment_dir(project_dir, GLOBAL_ENVIRONMENT), ADOPTION_FILE)


def subdirectories(parent):
    """[(name, path)] of the directories in `parent`, sorted, hidden ones left out; [] when there is no `parent`."""
    try:
        names = sorted(os.listdir(parent))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [(name, os.path.join(parent, name)) for name in names
            if not name.startswith(".") and os.path.isdir(os.path.join(parent, name))]


def environment_dirs(project_dir):
    """[(environment, root)] of every directory under environments/, global_aws included."""
    return subdirectories(os.path.join(project_dir, ENVIRONMENTS_DIR))


def root_files(directory):
    """Paths (relative, "/"-separated) of every file of a root and its subdirectories (templates, nested modules),
    sorted, but not hidden ones (.terraform/, the provider lock file) nor terraform's working files (state, saved
    plans)."""
    found = []
    for current, subdirs, names in os.walk(directory):
        subdirs[:] = sorted(subdir for subdir in subdirs if not subdir.startswith("."))
        for filename in sorted(names):
            if filename.startswith(".") or filename.endswith(WORKING_FILE_SUFFIXES):
                continue
            found.append(os.path.relpath(os.path.join(current, filename), directory).replace(os.sep, "/"))
    return found


def state_dir(project_dir, *subdirs):
    return os.path.join(project_dir, STATE_DIR, *subdirs)


def ensure(project_dir, *subdirs):
    """The path of .ecsenv/<subdirs>, created private (0700, never through a link) with its self-ignoring
    .gitignore if missing."""
    from bootstrap.project import files

    path = state_dir(project_dir, *subdirs)
    files.make_dirs(project_dir, path, private=True)
    files.write_if_missing(state_dir(project_dir, ".gitignore"), "*\n", project_dir)
    return path
