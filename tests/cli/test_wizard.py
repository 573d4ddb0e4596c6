"""The wizard's questions through prompt_toolkit pipe input (the real questionary prompts, keys piped in), and the
non-interactive rules of the Wizard."""

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bootstrap.cli import wizard
from bootstrap.errors import UserError

ENTER, DOWN, CTRL_C, CTRL_U = "\r", "\x1b[B", "\x03", "\x15"


@pytest.fixture(autouse=True)
def no_cpr(monkeypatch):
    monkeypatch.setenv("PROMPT_TOOLKIT_NO_CPR", "1")


def ask(question, keys, default=None, answers=None):
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        return wizard.ask_with_questionary(question, default, answers or {})


def question(key, previous=None, account="123456789012"):
    every = wizard.connection_questions(previous or {}, "/tmp/acme") + wizard.settings_questions(previous or {},
                                                                                                  account)
    return next(q for q in every if q.key == key)


def test_text_question_takes_the_default_on_enter():
    assert ask(question("project"), ENTER, default="acme") == "acme"


def test_text_question_rejects_an_invalid_name_until_corrected():
    # "Bad Name" fails validation, so Enter does not submit; the prompt keeps the text for correcting.
    assert ask(question("project"), "Bad Name" + ENTER + CTRL_U + "shop" + ENTER) == "shop"


def test_bucket_question_applies_s3_rules():
    assert ask(question("bucket"), "xn--state" + ENTER + CTRL_U + "shop-state" + ENTER) == "shop-state"


def test_region_question_rejects_unknown_regions():
    assert ask(question("region"), "mars-1" + ENTER + CTRL_U + "eu-west-1" + ENTER) == "eu-west-1"


def test_select_question_moves_with_arrows():
    assert ask(question("locking"), DOWN + ENTER, default="both") == "lockfile"


def test_select_question_starts_on_its_default():
    assert ask(question("locking"), ENTER, default="dynamodb") == "dynamodb"


def test_environments_are_typed_as_a_list_and_chained():
    value = ask(question("environments"), CTRL_U + "dev, staging, production" + ENTER)
    assert value == {"dev": {"promotes_from": None}, "staging": {"promotes_from": "dev"},
                     "production": {"promotes_from": "staging"}}


def test_tags_are_parsed_and_malformed_ones_refused():
    value = ask(question("tags"), "team" + ENTER + "=core, cost=42" + ENTER)
    assert value == {"team": "core", "cost": "42"}


def test_confirm_question():
    confirm = wizard.Question("confirm", "Apply?", kind="confirm")
    assert ask(confirm, "n", default=True) is False
    assert ask(confirm, ENTER, default=True) is True


def test_ctrl_c_raises_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt):
        ask(question("project"), CTRL_C)


def test_wizard_asks_only_what_is_not_given_and_derives_defaults():
    asked = []

    def prompt(q, default, answers):
        asked.append(q.key)
        return default

    wiz = wizard.Wizard({"project": "shop", "region": "eu-west-1"}, interactive=True, assume_yes=False,
                        prompt=prompt)
    wiz.fill(wizard.connection_questions({}, "."))
    answers = wiz.fill(wizard.settings_questions({}, "123456789012"))
    assert "project" not in asked and "region" not in asked
    assert answers["bucket"] == "shop-tfstate-123456789012"
    assert answers["lock_table"] == "shop-tfstate-lock"
    assert answers["tags"] == {"project": "shop", "managed-by": "ecsenv"}
    assert answers["environments"]["production"] == {"promotes_from": "staging"}
    assert "kms_key_id" not in asked  # only asked after choosing SSE-KMS


def test_wizard_asks_for_the_kms_key_after_choosing_kms():
    def prompt(q, default, answers):
        return {"encryption": wizard.SSE_KMS, "kms_key_id": "alias/state"}.get(q.key, default)

    wiz = wizard.Wizard({"project": "shop", "region": "eu-west-1"}, interactive=True, assume_yes=False,
                        prompt=prompt)
    assert wiz.fill(wizard.settings_questions({}, "123456789012"))["kms_key_id"] == "alias/state"


def test_previous_config_values_are_the_defaults():
    previous = {"project": "shop", "bucket": "custom-bucket", "locking": "lockfile", "tags": {"a": "b"}}
    wiz = wizard.Wizard({}, interactive=False, assume_yes=True)
    wiz.fill(wizard.connection_questions(previous, "."))
    answers = wiz.fill(wizard.settings_questions(previous, "123456789012"))
    assert answers["project"] == "shop" and answers["bucket"] == "custom-bucket"
    assert answers["locking"] == "lockfile" and "lock_table" not in answers and answers["tags"] == {"a": "b"}


def test_non_interactive_confirmation_needs_yes():
    with pytest.raises(UserError, match="pass --yes"):
        wizard.Wizard({}, interactive=False, assume_yes=False).confirm("Apply these changes?")
    assert wizard.Wizard({}, interactive=False, assume_yes=True).confirm("Apply these changes?") is True


def test_default_project_comes_from_the_directory_name():
    assert wizard._default_project("/work/My Shop_2") == "my-shop-2"
    assert wizard._default_project("/work/123") == "myproject"


def git_repository(path, remote=None):
    import subprocess

    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", remote], check=True)
    return str(path)


def github_question(project_dir, previous=None):
    return next(q for q in wizard.settings_questions(previous or {}, "123456789012", project_dir)
                if q.key == "github_repository")


@pytest.mark.parametrize("remote", ["https://github.com/tarn-labs/tarn-infra.git",
                                    "git@github.com:tarn-labs/tarn-infra", "ssh://git@github.com/tarn-labs/tarn-infra.git"])
def test_github_repository_is_offered_from_the_origin_remote(tmp_path, remote):
    question_ = github_question(git_repository(tmp_path / "repo", remote))
    default = question_.default({})
    assert default == "tarn-labs/tarn-infra"
    assert ask(question_, ENTER, default=default) == "tarn-labs/tarn-infra"  # Enter takes it


@pytest.mark.parametrize("remote", [None, "https://gitlab.com/tarn-labs/tarn-infra.git"])
def test_without_a_github_remote_no_repository_is_made_up(tmp_path, remote):
    question_ = github_question(git_repository(tmp_path / "repo", remote))
    assert question_.default({}) is None  # never a placeholder such as acme/acme
    assert ask(question_, ENTER, default=None) is None  # empty: no GitHub Actions roles
    assert ask(question_, "nope" + ENTER + CTRL_U + "tarn-labs/infra" + ENTER) == "tarn-labs/infra"  # validated


def test_the_github_repository_in_ecsenv_yaml_wins_over_the_remote(tmp_path):
    project = git_repository(tmp_path / "repo", "git@github.com:tarn-labs/fork.git")
    assert github_question(project, {"github_repository": "tarn-labs/upstream"}).default({}) == "tarn-labs/upstream"
