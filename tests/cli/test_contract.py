"""The reliability contract, for EVERY command: bad input is exit 2 with one line on stderr, no traceback, no file
changed in the project, and no request sent to AWS.

The commands are discovered from the parser (a new command is covered without being listed here; one whose
arguments this table cannot fill fails `test_every_subcommand_has_cases`). Each is run with hostile variants of its
arguments, of ecsenv.yaml (for every command that loads it), of .ecsenv/local.json (for the commands that read it),
and of stdin (secret set). AWS is a recording HTTP endpoint (AWS_ENDPOINT_URL) that counts every request it gets:
the count must stay zero."""

import argparse
import http.server
import io
import os
import re
import stat
import sys
import threading

import pytest

from bootstrap.cli import main
from bootstrap.cli.parser import build_parser

# ------------------------------------------------------------------ the commands, from the parser


def _leaves(parser, path=()):
    """(command path, its parser) of every runnable (sub)command."""
    groups = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not groups:
        yield path, parser
        return
    for name, sub in groups[0].choices.items():
        yield from _leaves(sub, path + (name,))


LEAVES = dict(_leaves(build_parser()))

# Valid values for the arguments a command requires, by (command, dest) or by dest alone.
VALID = {
    ("env", "add", "name"): "qa",
    ("env", "policy", "name"): "staging",
    ("env", "remove", "name"): "production",
    ("secret", "set", "name"): "DB_PASSWORD",
    "environment": "staging",
    "sha": "0a1b2c3d4e5f",
    "to": "lockfile",
}
# Commands that never read ecsenv.yaml (everything else must refuse a hostile one).
CONFIG_FREE = {("local", "start"), ("local", "stop"), ("local", "status")}
# Commands that read .ecsenv/local.json (plus every command given --local).
EMULATOR_RECORD = {("local", "start"), ("local", "stop"), ("local", "status")}
# Commands for which a missing ecsenv.yaml is not bad input (init creates it; check works without it).
CONFIG_OPTIONAL = {("init",), ("check",)}


def _required(path, parser):
    """argv for the command with valid values for its positionals and required options (KeyError: unknown)."""
    argv = list(path)
    for action in parser._actions:
        if action.option_strings and not action.required:
            continue
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.nargs in ("?", "*", argparse.REMAINDER):
            continue
        value = VALID.get(path + (action.dest,), VALID.get(action.dest))
        if value is None:
            raise KeyError(f"{' '.join(path)}: no valid value for {action.dest!r} in VALID")
        argv += [action.option_strings[0], value] if action.option_strings else [value]
    if path in (("plan",), ("drift",)):  # one environment, or --all
        argv.append("staging")
    return argv


def _uses_aws(parser):
    return any("--profile" in action.option_strings for action in parser._actions)


def _positionals(parser, optional=False):
    """The required positionals (optional=True: the ones that may be left out)."""
    return [action.dest for action in parser._actions if not action.option_strings
            and not isinstance(action, argparse._SubParsersAction)
            and (action.nargs in ("?", "*", argparse.REMAINDER)) == optional]


def _options(parser):
    return {option for action in parser._actions for option in action.option_strings}


# ------------------------------------------------------------------ hostile inputs

GOOD_CONFIG = """\
project: acme
state:
  account_id: '123456789012'
  region: us-east-1
  bucket: acme-tfstate-123456789012
  locking: both
  lock_table: acme-tfstate-lock
  tags:
    team: platform
environments:
  staging: {}
  production:
    promotes_from: staging
"""

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))

HOSTILE_CONFIGS = {
    "alias bomb": ALIAS_BOMB,
    "anchor": GOOD_CONFIG.replace("staging: {}", "staging: &s {}").replace("production:\n", "production: *s\n  x:\n"),
    "duplicate key": GOOD_CONFIG + "project: other\n",
    "duplicate environment": GOOD_CONFIG + "  staging: {}\n",
    "NUL byte": GOOD_CONFIG.replace("acme", "ac\0me", 1),
    "integer key": GOOD_CONFIG + "  123: {}\n",
    "boolean key": GOOD_CONFIG + "  yes: {}\n",
    "promotes_from list": GOOD_CONFIG.replace("promotes_from: staging", "promotes_from: [staging]"),
    "promotes_from mapping": GOOD_CONFIG.replace("promotes_from: staging", "promotes_from: {a: b}"),
    "mapping for a string": GOOD_CONFIG.replace("bucket: acme-tfstate-123456789012", "bucket: {a: 1}"),
    "list for a region": GOOD_CONFIG.replace("region: us-east-1", "region: [us-east-1]"),
    "list for environments": GOOD_CONFIG.replace("environments:\n  staging: {}", "environments: [a]\nx:\n  y: {}"),
    "environment not a mapping": GOOD_CONFIG.replace("staging: {}", "staging: [1]"),
    "tags with braces": GOOD_CONFIG.replace("team: platform", "'a{b}': x"),
    "aws: tag": GOOD_CONFIG.replace("team: platform", "'AWS:team': x"),
    "51 tags": GOOD_CONFIG.replace("    team: platform\n", "".join(f"    t{i}: v\n" for i in range(51))),
    "binary value": GOOD_CONFIG.replace("region: us-east-1", "region: !!binary dXMtZWFzdC0x"),
    "python tag": GOOD_CONFIG.replace("region: us-east-1", "region: !!python/name:os.system"),
    "not YAML": "project: acme\nstate: [unclosed\n",
    "not a mapping": "- acme\n",
    "deep nesting": "project: " + "[" * 5000 + "]" * 5000 + "\n",
    "unknown region": GOOD_CONFIG.replace("region: us-east-1", "region: mars-north-9"),
    "promotes from itself": GOOD_CONFIG.replace("promotes_from: staging", "promotes_from: production"),
    "unknown key": GOOD_CONFIG + "extra: 1\n",
}
HOSTILE_CONFIG_BYTES = {"not UTF-8": GOOD_CONFIG.encode() + b"x: \xff\xfe\n"}

BAD_RECORDS = {
    "record truncated": '{"pid": 12',
    "record without a port": '{"pid": 1}',
    "record of another shape": '[]',
    "record as a link": None,  # a symbolic link to a file outside the project
}

BAD_VALUES = {
    "empty": "",
    "path-like": "../../prod/DB",
    "spaces": "a b",
    "shell": "x;y",
    "too long": "x" * 300,
    "uppercase": "Staging",
}

BAD_STDIN = {
    "secret not UTF-8": b"\xff\xfe x",
    "secret empty": b"",
    "secret only a newline": b"\n",
    "secret with NUL": b"abc\0def",
    "secret too long": b"x" * 70000,
}


def cases():
    """(id, command path, argv, setup) for every hostile variant of every command."""
    table = []
    for path, parser in LEAVES.items():
        name = " ".join(path)
        argv = _required(path, parser)

        def add(what, args, path=path, name=name, **setup):
            table.append(pytest.param(path, args, setup, id=f"{name}: {what}"))
        add("--region mars-1", ["--region", "mars-1", *argv])
        add("-C a file", ["-C", "ecsenv.yaml", *argv])
        add("-C missing", ["-C", "no/such/dir", *argv])
        if _uses_aws(parser):
            add("--profile unknown", ["--profile", "no-such-profile-xyz", *argv])
            add("--local, no emulator", ["--local", *argv])
            add("--local, corrupt record", ["--local", *argv], record='{"pid": 12')
        if path not in CONFIG_FREE:
            if path not in CONFIG_OPTIONAL:
                add("no ecsenv.yaml", argv, config=None)
            for what, text in HOSTILE_CONFIGS.items():
                add(f"ecsenv.yaml {what}", argv, config=text)
            for what, raw in HOSTILE_CONFIG_BYTES.items():
                add(f"ecsenv.yaml {what}", argv, config=raw)
        if path in EMULATOR_RECORD:
            for what, text in BAD_RECORDS.items():
                add(what, argv, record=text)
        if path == ("plan",):
            for what in ("path-like", "shell", "too long", "uppercase"):
                add(f"environment {what}", ["plan", BAD_VALUES[what]])
        for dest in _positionals(parser, optional=True):
            if dest in ("environment", "run_command", "terraform_args"):
                continue  # plan's environment: above; run's and tf's commands are the task's and terraform's own
            for what in ("path-like", "shell", "too long", "empty"):
                add(f"{dest} {what}", [*argv, BAD_VALUES[what]])
        for dest in _positionals(parser):
            index = argv.index(VALID.get(path + (dest,), VALID.get(dest)), len(path))
            for what, value in BAD_VALUES.items():
                if path + (dest,) == ("secret", "set", "name") and what == "uppercase":
                    continue  # secret NAMEs are environment variable names: DB_PASSWORD, Staging alike
                add(f"{dest} {what}", argv[:index] + [value] + argv[index + 1:])
            if (dest == "environment" or path == ("env", "add")) and path not in (("plan",), ("apply",), ("drift",)):
                # global_aws is an environment to plan/apply/drift, but not to deploy to or keep secrets in
                add(f"{dest} global_aws", argv[:index] + ["global_aws"] + argv[index + 1:])
        options = _options(parser)
        if "--service" in options:
            for value in ("x;y", "", "../svc", "s" * 300):
                add(f"--service {value[:10]!r}", [*argv, "--service", value])
        if "--sha" in options:
            for value in ("", "not a sha", "-x", "x" * 200):
                base = argv[:argv.index("--sha")] if "--sha" in argv else argv
                add(f"--sha {value[:10]!r}", [*base, "--sha", value])
        if "--timeout" in options:
            for value in ("-1", "0", "nan", "inf", "soon"):
                add(f"--timeout {value}", [*argv, "--timeout", value])
        if path == ("rollback",):
            add("--to bad", [*argv, "--to", "a b"])
        if path == ("apply",):
            add("--emergency empty", [*argv, "--emergency", " "])
        if path == ("plan",):
            add("no environment", ["plan"])
            add("environment and --all", ["plan", "staging", "--all"])
        if path == ("env", "add"):
            add("existing name", ["env", "add", "staging"])
            add("--from unknown", [*argv, "--from", "nope"])
            add("--promotes-from unknown", [*argv, "--promotes-from", "nope"])
            add("--account short", [*argv, "--account", "123"])
            add("--region unknown", [*argv, "--region", "mars-1"])
            add("target dir is a link", argv, link="environments/qa")
            add("environments is a file", argv, environments_file=True)
        if path == ("render",):
            add("target dir is a link", [*argv, "--force"], link="environments/production")
            add("backend file is a link", [*argv, "--force"], link="environments/staging/backend.s3.tfbackend")
            add(".ecsenv ignored; environments is a file", argv, environments_file=True)
        if path == ("init",):
            add("--answers missing", [*argv, "--answers", "nope.yaml"])
            for what, text in HOSTILE_CONFIGS.items():
                if what not in ("unknown region", "not a mapping"):
                    add(f"--answers {what}", [*argv, "--answers", "answers.yaml"], config=None, answers=text)
            add("--answers environments twice", [*argv, "--answers", "answers.yaml"], config=None,
                answers=ANSWERS + "environments: [staging, staging]\n")
            add("--answers tags with braces", [*argv, "--answers", "answers.yaml"], config=None,
                answers=ANSWERS + "environments: [staging]\ntags: {'a{b}': x}\n")
            add("--answers 51 tags", [*argv, "--answers", "answers.yaml"], config=None,
                answers=ANSWERS + "environments: [staging]\ntags: {" + ", ".join(f"t{i}: v" for i in range(51)) + "}\n")
            add("--answers kms key malformed", [*argv, "--answers", "answers.yaml"], config=None,
                answers=ANSWERS + "environments: [staging]\nkms_key_id: arn:aws:kms:us-east-1:123456789012:key/x\n")
            add("environments is a file (unwritable)", argv, config=None, environments_file=True,
                answers=ANSWERS + "environments: [staging]\n", extra=["--answers", "answers.yaml"])
        if path == ("secret", "set"):
            for what, data in BAD_STDIN.items():
                add(what, argv, stdin=data)
    return table


ANSWERS = ("project: acme\nregion: us-east-1\nlocking: both\nbucket: acme-tfstate-123456789012\n"
           "lock_table: acme-tfstate-lock\n")
CASES = cases()


# ------------------------------------------------------------------ the recording endpoint


class _Recorder(http.server.BaseHTTPRequestHandler):
    count = 0

    def _any(self):
        type(self).count += 1
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def recording_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def contract_env(recording_endpoint, monkeypatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", recording_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _Recorder.count = 0
    return recording_endpoint


# ------------------------------------------------------------------ the project and its snapshot


def make_project(root, config=GOOD_CONFIG):
    project = root / "acme"
    (project / "environments" / "staging").mkdir(parents=True)
    (project / "environments" / "production").mkdir()
    (project / "environments" / "global_aws").mkdir()
    for env in ("staging", "production", "global_aws"):
        (project / "environments" / env / "main.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    if config is not None:
        (project / "ecsenv.yaml").write_bytes(config if isinstance(config, bytes) else config.encode())
    return project


def snapshot(root):
    """Every entry under root: type, mode, and content or link target."""
    seen = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                seen[path] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                seen[path] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                with open(path, "rb") as handle:
                    seen[path] = ("file", stat.S_IMODE(info.st_mode), handle.read())
    return seen


def run(argv, stdin=b""):
    """main() in-process: (exit code, stdout, stderr), argparse's exits included."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"), out, err
    try:
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ the contract


@pytest.mark.parametrize("path, argv, setup", CASES)
def test_bad_input_meets_the_contract(path, argv, setup, contract_env, tmp_path, monkeypatch):
    project = make_project(tmp_path, setup.get("config", GOOD_CONFIG) if "config" in setup else GOOD_CONFIG)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("not yours\n")
    if "answers" in setup:
        (project / "answers.yaml").write_text(setup["answers"])
    if "record" in setup:
        (project / ".ecsenv").mkdir()
        record = project / ".ecsenv" / "local.json"
        if setup["record"] is None:
            record.symlink_to(outside / "victim.txt")
        else:
            record.write_text(setup["record"])
    if "link" in setup:
        target = project / setup["link"]
        if target.exists():
            target.unlink() if target.is_file() else os.rename(target, tmp_path / "moved-away")
        target.symlink_to(outside if not setup["link"].endswith(".tfbackend") else outside / "victim.txt")
    if setup.get("environments_file"):
        import shutil

        shutil.rmtree(project / "environments")
        (project / "environments").write_text("a file where the environments directory goes\n")
    monkeypatch.chdir(project)
    before, outside_before = snapshot(project), snapshot(outside)

    code, out, err = run(argv + setup.get("extra", []), setup.get("stdin", b""))

    assert code == 2, f"exit {code}\nstdout: {out}\nstderr: {err}"
    assert "Traceback" not in err and "UserError" not in err and "botocore" not in err
    assert not re.search(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*Error\b", err), f"a Python class name reached the user: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line:\n{err}"
    assert out == "", f"printed before failing:\n{out}"
    assert snapshot(project) == before, "a file in the project changed"
    assert snapshot(outside) == outside_before, "a file outside the project changed"
    assert _Recorder.count == 0, f"{_Recorder.count} requests reached AWS"
    assert "not yours" not in err  # a link is named, never read
    secret = setup.get("stdin", b"").decode("utf-8", "replace").strip("\0\n ")
    if len(secret) >= 3:
        assert secret[:3] not in err, "the secret value was printed"


def test_every_subcommand_has_cases(capsys):
    """The table covers every command the parser has (a new command must get valid values in VALID)."""
    covered = {case.values[0] for case in CASES}
    assert covered == set(LEAVES), f"commands without cases: {set(LEAVES) - covered}"
    per_command = {path: sum(1 for case in CASES if case.values[0] == path) for path in LEAVES}
    assert min(per_command.values()) >= 5
    counts = ", ".join(f"{' '.join(path)} {count}" for path, count in per_command.items())
    with capsys.disabled():
        print(f"\ncontract: {len(CASES)} bad-input cases over {len(LEAVES)} commands ({counts})")
