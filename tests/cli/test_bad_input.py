"""Bad input to `ecsenv init`: exit 2, one line naming the problem (and file:line), no traceback, nothing written,
and no AWS call made."""

import pytest
from conftest import write_answers

from bootstrap.cli import main
from bootstrap.project import validation

GOOD = {
    "project": "acme",
    "region": "us-east-1",
    "environments": "[staging, production]",
    "locking": "both",
    "bucket": "acme-tfstate-123456789012",
    "lock_table": "acme-tfstate-lock",
}


def answers_text(**overrides):
    values = dict(GOOD, **overrides)
    return "".join(f"{key}: {value}\n" for key, value in values.items() if value is not None)


BAD_ANSWERS = [
    ("uppercase project", answers_text(project="Acme"), "answers.yaml:1: project name 'Acme'"),
    ("project too long", answers_text(project="a" * 41), "at most 40"),
    ("uppercase bucket", answers_text(bucket="Acme-state"), "answers.yaml:5: bucket name 'Acme-state' must not contain "
                                                            "uppercase"),
    ("bucket too long", answers_text(bucket="b" * 64), "S3 allows 3 to 63"),
    ("bucket too short", answers_text(bucket="ab"), "S3 allows 3 to 63"),
    ("ip-like bucket", answers_text(bucket="192.168.5.4"), "formatted as an IP address"),
    ("xn-- bucket", answers_text(bucket="xn--acme-state"), "reserved prefix 'xn--'"),
    ("-s3alias bucket", answers_text(bucket="acme-state-s3alias"), "reserved suffix '-s3alias'"),
    ("double dot bucket", answers_text(bucket="acme..state"), "two adjacent dots"),
    ("underscore bucket", answers_text(bucket="acme_state"), "may only contain"),
    ("unknown region", answers_text(region="us-middle-7"), "answers.yaml:2: unknown region 'us-middle-7'"),
    ("bad locking", answers_text(locking="redis"), "answers.yaml:4: locking must be one of"),
    ("bad table", answers_text(lock_table="a b"), "lock table name 'a b'"),
    ("bad kms", answers_text(kms_key_id="my key"), "KMS key 'my key'"),
    ("bad env name", answers_text(environments="[Staging]"), "environment name 'Staging'"),
    ("reserved env", answers_text(environments="[global_aws]"), "reserved"),
    ("path-like env", answers_text(environments="['../x']"), "environment name '../x'"),
    ("unknown promotion source", answers_text(environments="{production: {promotes_from: qa}}"),
     "promotes from 'qa', which is not an environment"),
    ("unknown key", answers_text() + "projct: acme\n", "answers.yaml:7: unknown key 'projct'"),
    ("unknown env key", answers_text(environments="{staging: {regoin: us-east-1}}"),
     "answers.yaml:3: unknown key 'environments.staging.regoin'"),
    ("tags not a mapping", answers_text() + "tags: [a, b]\n", "answers.yaml:7: tags must be a mapping"),
    ("number as project", answers_text(project="42"), "'project' must be a string"),
    ("malformed yaml", "project: acme\nregion: [us-east-1\n", "answers.yaml:3: not valid YAML"),
    ("not a mapping", "- project\n- acme\n", "answers.yaml:1: expected a mapping"),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in BAD_ANSWERS], ids=[case[0] for case in BAD_ANSWERS])
def test_bad_answers_file_exits_2_with_one_line_and_no_aws_call(text, expected, project_dir, capsys, api_calls,
                                                                aws_env):
    code = main(["init", "--answers", write_answers(project_dir, text), "--yes"])
    out, err = capsys.readouterr()
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert api_calls.calls == []
    assert sorted(path.name for path in project_dir.iterdir()) == ["answers.yaml"]


def test_missing_answers_file_is_bad_input(project_dir, capsys, api_calls):
    assert main(["init", "--answers", "nope.yaml", "--yes"]) == 2
    assert "nope.yaml: no such file" in capsys.readouterr().err
    assert api_calls.calls == []


def test_unknown_region_flag_is_bad_input(project_dir, capsys, api_calls):
    assert main(["init", "--region", "mars-1", "--yes"]) == 2
    assert "--region: unknown region 'mars-1'" in capsys.readouterr().err
    assert api_calls.calls == []


def test_non_interactive_run_names_every_missing_answer_before_any_aws_call(project_dir, capsys, api_calls, aws_env):
    text = "project: acme\nregion: us-east-1\n"
    assert main(["init", "--answers", write_answers(project_dir, text)]) == 2
    err = capsys.readouterr().err
    assert "missing answers: environments, locking, bucket" in err and "--yes" in err
    assert api_calls.calls == []


def test_complete_answers_without_yes_do_not_apply(project_dir, capsys, api_calls, aws_env):
    """Applying needs a confirmation; with nobody to give it, refuse after the plan is shown and write nothing."""
    code = main(["init", "--answers", write_answers(project_dir, answers_text())])
    out, err = capsys.readouterr()
    assert code == 2
    assert "pass --yes" in err
    assert api_calls.writes == []
    assert not (project_dir / "ecsenv.yaml").exists()


def test_invalid_ecsenv_yaml_is_reported_with_its_line(project_dir, capsys, api_calls):
    (project_dir / "ecsenv.yaml").write_text("project: acme\nstate:\n  account_id: 123\n  region: us-east-1\n"
                                             "  bucket: acme-state\n")
    assert main(["init", "--plan"]) == 2
    err = capsys.readouterr().err
    assert "ecsenv.yaml:3: account id 123 must be exactly 12 digits" in err
    assert api_calls.calls == []


def test_missing_project_dir_is_bad_usage(capsys):
    assert main(["-C", "/nonexistent/dir", "init", "--yes"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["acme-tfstate-123456789012", "a.b-c", "abc", "a" * 63])
def test_valid_bucket_names(name):
    assert validation.bucket_name(name) is None


@pytest.mark.parametrize("name", ["acme", "a1", "my-project-2"])
def test_valid_project_names(name):
    assert validation.project_name(name) is None


@pytest.mark.parametrize("name", ["-acme", "acme-", "1acme", "ac_me", "", "a"])
def test_invalid_project_names(name):
    assert validation.project_name(name)


@pytest.mark.parametrize("key", ["1234abcd-12ab-34cd-56ef-1234567890ab", "alias/terraform-state",
                                 "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                 "arn:aws:kms:us-east-1:123456789012:alias/state", None, ""])
def test_valid_kms_keys(key):
    assert validation.kms_key_id(key) is None
