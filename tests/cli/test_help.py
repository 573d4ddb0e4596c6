"""Every command's --help lists its exit codes; AWS options appear only on commands that use AWS, and the commands
without them really make no AWS request."""

import re

import pytest
from test_contract import LEAVES, _Recorder, _required, _uses_aws, contract_env, make_project, recording_endpoint, run  # noqa: F401


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(path) for path in LEAVES])
def test_help_lists_the_exit_codes(path, capsys):
    code, out, err = run([*path, "--help"])
    assert code == 0
    codes = " ".join(out[out.index("exit codes:"):].split())  # as one line, however argparse wrapped it
    assert (re.search(r"\b0 ", codes) or "terraform's own" in codes) and "2 " in codes and "130 interrupted" in codes
    if path in (("plan",), ("drift",), ("status",), ("check",), ("secret", "list"), ("local", "status"),
                ("init",), ("render",)):
        assert "3 " in codes  # the commands that report "pending / not converged"


NO_AWS = {("render",), ("env", "add"), ("env", "list"), ("env", "policy"), ("check",), ("matrix",), ("local", "start"),
          ("local", "stop"), ("local", "status")}


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(path) for path in LEAVES])
def test_aws_options_only_where_aws_is_used(path):
    code, out, err = run([*path, "--help"])
    assert _uses_aws(LEAVES[path]) == (path not in NO_AWS)
    for option in ("--profile", "--local"):
        assert (option in out) == (path not in NO_AWS)
    assert ("--region" in out) == (path not in NO_AWS or path == ("env", "add"))  # env add: the new env's region


@pytest.mark.parametrize("path", sorted(NO_AWS - {("local", "start")}), ids=lambda path: " ".join(path))
def test_commands_without_aws_options_make_no_aws_request(path, contract_env, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(make_project(tmp_path))
    code, out, err = run(_required(path, LEAVES[path]))
    assert code in (0, 3), err
    assert _Recorder.count == 0


def test_env_add_documents_its_region():
    code, out, err = run(["env", "add", "--help"])
    assert "the new environment's AWS region" in " ".join(out.split())


def test_the_environment_positional_has_help():
    for path, parser in LEAVES.items():
        for action in parser._actions:
            if action.dest == "environment":
                assert action.help, f"{' '.join(path)}: the environment positional has no help"


def test_init_help_explains_the_scaffold_and_its_default_without_a_terminal(capsys):
    code, out, err = run(["init", "--help"])
    text = " ".join(out.split())
    assert "--scaffold, --no-scaffold" in text
    for phrase in ("modules/, environments/global_aws/, environments/NAME/ for each environment",
                   ".github/workflows/ and maskfile.md", "The wizard offers it (default yes)",
                   "without a terminal, or with --yes, it is written only with --scaffold",
                   "Existing files are never overwritten", "github_repository"):
        assert phrase in text, phrase
