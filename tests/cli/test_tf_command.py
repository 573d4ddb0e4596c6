"""`ecsenv tf ENV -- ARGS`: what goes to terraform and what stays ecsenv's (argparse leaves all after ENV)."""

import pytest

from bootstrap.cli import main
from bootstrap.cli.context import Context
from bootstrap.cli.lifecycle import terraform_args as split
from bootstrap.cli.parser import build_parser


@pytest.mark.parametrize("argv, local, terraform_args", [
    (["tf", "qa", "--", "import", "-var", "x=1", "aws_s3_bucket.b", "b"], False,
     ["import", "-var", "x=1", "aws_s3_bucket.b", "b"]),
    (["tf", "qa", "--local", "--", "state", "list"], True, ["state", "list"]),
    (["--local", "tf", "qa", "--", "plan", "--local"], True, ["plan", "--local"]),
])
def test_ecsenvs_options_before_the_double_dash_stay_ecsenvs(argv, local, terraform_args):
    args = build_parser().parse_args(argv)
    ctx = Context(args)
    passed = split(ctx)
    assert (ctx.args.local, passed) == (local, terraform_args)


def test_tf_without_a_terraform_command_is_bad_usage(capsys, tmp_path):
    assert main(["-C", str(tmp_path), "tf", "qa", "--"]) == 2
    assert "name the terraform command after --" in capsys.readouterr().err
