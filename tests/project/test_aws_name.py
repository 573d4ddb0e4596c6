"""The one rule that shortens names AWS limits in length (docs/stack.md, "Names"): the Python side
(validation.aws_name, which ecsenv uses where it computes a name the stack gives) and the Terraform side (the
expression every module and global_aws evaluate) give the same name, character for character."""

import json
import pathlib
import re

import pytest
from conftest import terraform_runner

from bootstrap.project.validation import aws_name

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The expression as the modules write it: `names = { for key, spec in local.limited_names : key => <RULE> }`.
RULE = ('length(spec[0]) <= spec[1] ? spec[0] : '
        '"${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}"')
CASES = [
    ("acme-staging", 32),
    ("a" * 32, 32),
    ("a" * 33, 32),
    ("quillmark-quillmark-quillmark-quillmarkq-canary-canary-canary-canary-canz-postgres", 63),
    ("quillmark-quillmark-quillmark-quillmarkq-canary-canary-canary-canary-canz-cache", 40),
    ("abcdefghijklmnopqrstuvwx-z-tail-name", 32),  # the prefix would end in a hyphen: it is dropped
]


def test_a_name_within_its_limit_is_kept():
    assert aws_name("acme-staging-web-task", 64) == "acme-staging-web-task"
    assert aws_name("x" * 64, 64) == "x" * 64


def test_a_long_name_keeps_a_prefix_and_ends_in_its_hash():
    name = "quillmark-quillmark-quillmark-quillmarkq-canary-canary-canary-canary-canz-postgres"
    short = aws_name(name, 63)
    assert len(short) == 63 and short.startswith(name[:56] + "-")
    assert re.fullmatch(r"[0-9a-f]{6}", short[-6:])


def test_the_prefix_never_ends_in_a_hyphen_before_the_hash():
    short = aws_name("abcdefghijklmnopqrstuvwx-z-tail-name", 32)
    assert short.startswith("abcdefghijklmnopqrstuvwx-") and "--" not in short and len(short) == 31


def test_two_long_names_that_differ_at_their_end_do_not_collide():
    base = "quillmark-quillmark-quillmark-quillmarkq-canary-canary-canary-canary-canz-ledger-"
    assert aws_name(base + "a-task", 64) != aws_name(base + "b-task", 64)


def test_every_module_names_by_the_same_expression():
    uses = {}
    for path in sorted([*(ROOT / "modules").rglob("*.tf"), *(ROOT / "environments" / "global_aws").glob("*.tf")]):
        for line in path.read_text().splitlines():
            if "sha256(" in line:
                uses[path.relative_to(ROOT).as_posix()] = line
    assert {"modules/cluster/main.tf", "modules/container-generic/main.tf", "modules/core-services/main.tf",
            "modules/cache/main.tf", "modules/assets-bucket/main.tf", "modules/scheduled-task/main.tf",
            "environments/global_aws/github_oidc.tf"} <= set(uses)
    assert all(RULE in line for line in uses.values()), uses
    assert RULE.replace("spec[0]", "name").replace("spec[1]", "max") in (ROOT / "docs" / "stack.md").read_text()


@pytest.mark.terraform
def test_terraform_gives_the_names_python_gives(tmp_path):
    terraform = terraform_runner({}, tmp_path=tmp_path)
    root = tmp_path / "rule"
    root.mkdir()
    cases = ", ".join(f'["{name}", {limit}]' for name, limit in CASES)
    (root / "main.tf").write_text(f"output \"names\" {{\n  value = [for spec in [{cases}] : {RULE}]\n}}\n")
    terraform(root, "init", "-input=false")
    terraform(root, "apply", "-input=false", "-auto-approve")
    names = json.loads(terraform(root, "output", "-json", "names").stdout)
    assert names == [aws_name(name, limit) for name, limit in CASES]
