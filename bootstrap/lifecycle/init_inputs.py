"""What `terraform init` depends on, as one fingerprint, so `plan` re-initialises exactly when it has to.

Init installs modules (the `module` blocks' source and version, followed into local modules, which may call
others), providers (`required_providers`, pinned by `.terraform.lock.hcl`) and configures the backend (the
`backend` block plus the partial config file and ecsenv's extra options). The fingerprint hashes exactly those
inputs, by content rather than modification time (a `git pull` or checkout sets mtimes arbitrarily). Everything else
in the .tf files (resources, variables, outputs) can change without a re-init.

The fingerprint of a successful init is recorded in terraform's data directory (`.terraform/`, or TF_DATA_DIR) as
`ecsenv-init.json`, written after init succeeded and removed before init starts: a failed or interrupted init
leaves no record, so the next plan initialises again instead of failing on a half-installed `.terraform/`."""

import hashlib
import json
import os

from bootstrap.project.layout import BACKEND_FILE

MARKER = "ecsenv-init.json"
LOCK_FILE = ".terraform.lock.hcl"
BACKEND_STATE = "terraform.tfstate"  # what terraform writes in its data directory once a backend is configured


def data_dir(root, env):
    """Terraform's data directory for a root: TF_DATA_DIR (relative to the root, as terraform runs with -chdir)."""
    return os.path.join(root, env.get("TF_DATA_DIR") or ".terraform")


def recorded(directory):
    """The fingerprint of the last successful init, or None (never, failed, or the backend state is gone)."""
    if not os.path.exists(os.path.join(directory, BACKEND_STATE)):
        return None
    try:
        with open(os.path.join(directory, MARKER), encoding="utf-8") as handle:
            return json.load(handle).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def forget(directory):
    try:
        os.unlink(os.path.join(directory, MARKER))
    except FileNotFoundError:
        pass


def record(directory, fingerprint):
    from bootstrap.project.yamldoc import write_atomically

    os.makedirs(directory, exist_ok=True)
    write_atomically(os.path.join(directory, MARKER), json.dumps({"fingerprint": fingerprint}) + "\n")


def fingerprint(root, backend_options=()):
    """A hash of everything init depends on in `root` (see the module docstring)."""
    inputs = {"backend_file": _read(os.path.join(root, BACKEND_FILE)), "backend_options": list(backend_options),
              "lock_file": _read(os.path.join(root, LOCK_FILE)), "directories": {}}
    _collect(os.path.realpath(root), os.path.realpath(root), inputs["directories"])
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _collect(root, directory, found):
    """found[directory relative to root] = what init reads from the .tf files there; local modules followed."""
    key = os.path.relpath(directory, root)
    if key in found:
        return
    found[key] = entries = []
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".tf"))
    except (FileNotFoundError, NotADirectoryError):
        entries.append("missing")  # a module source that does not exist yet: init fails, and must run again
        return
    for name in names:
        text = _read(os.path.join(directory, name)) or ""
        try:
            import hcl2

            data = hcl2.loads(text)
        except Exception:  # noqa: BLE001 - unparsable here: hash the whole file, terraform will say what is wrong
            entries.append([name, hashlib.sha256(text.encode()).hexdigest()])
            continue
        for block in data.get("terraform") or []:
            if isinstance(block, dict):
                entries.append([name, "terraform", {key: block[key] for key in
                                                    ("required_providers", "backend", "cloud") if key in block}])
        for block in data.get("module") or []:
            for label, body in (block.items() if isinstance(block, dict) else ()):
                if not isinstance(body, dict):
                    continue
                source, version = _unquote(body.get("source")), _unquote(body.get("version"))
                entries.append([name, "module", label, source, version])
                if isinstance(source, str) and source.startswith(("./", "../")):
                    _collect(root, os.path.realpath(os.path.join(directory, source)), found)


def _unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
