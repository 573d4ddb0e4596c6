"""ecsenv.yaml: saving and loading round-trip, and line-precise errors."""

import pytest

from bootstrap.errors import UserError
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config
from bootstrap.project.config_reader import load_config


def sample():
    return ProjectConfig(
        project="acme",
        state=StateConfig(account_id="012345678901", region="eu-west-1", bucket="acme-tfstate-012345678901",
                          locking="both", lock_table="acme-tfstate-lock", kms_key_id="alias/state",
                          tags={"project": "acme", "cost-center": "007"}),
        environments={"staging": EnvironmentConfig("012345678901", "eu-west-1"),
                      "production": EnvironmentConfig("210987654321", "eu-central-1", promotes_from="staging")})


def test_round_trip_keeps_everything_including_leading_zero_account_ids(tmp_path):
    path = tmp_path / "ecsenv.yaml"
    save_config(sample(), path)
    assert load_config(path) == sample()
    text = path.read_text()
    assert text.startswith("# ecsenv project config, written by `ecsenv init`")
    assert "'012345678901'" in text  # quoted, so YAML keeps it a string


def test_environment_defaults_come_from_the_state_settings(tmp_path):
    path = tmp_path / "ecsenv.yaml"
    path.write_text("project: acme\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n"
                    "  bucket: acme-state\n  lock_table: acme-lock\nenvironments:\n  staging:\n")
    config = load_config(path)
    assert config.environments["staging"] == EnvironmentConfig("123456789012", "us-east-1")
    assert config.state.locking == "both"


@pytest.mark.parametrize("text, message", [
    ("project: acme\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n  bucket: acme-state\n"
     "  locking: dynamodb\n", "ecsenv.yaml:6: locking 'dynamodb' needs 'state.lock_table'"),
    ("project: acme\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n  bucket: acme-state\n"
     "  colour: blue\n", "ecsenv.yaml:6: unknown key 'state.colour'"),
    ("project: acme\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n  bucket: acme-state\n"
     "  locking: lockfile\nenvironments:\n  production: {promotes_from: staging}\n  staging: {}\n",
     "promotes from 'staging', which must be listed before it"),
    ("project: acme\n", "ecsenv.yaml:1: missing key 'state'"),
    ("project: acme\nstate: [1]\n", "ecsenv.yaml:2: 'state' must be a mapping"),
])
def test_errors_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "ecsenv.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_state_keys_and_trunk_round_trip_and_feed_the_backend_files(tmp_path):
    import dataclasses

    from bootstrap.project import render

    config = sample()
    config = dataclasses.replace(
        config, trunk="release",
        state=dataclasses.replace(config.state, global_state_key="shared/global.tfstate"),
        environments={**config.environments,
                      "production": dataclasses.replace(config.environments["production"], state_key="prod.tfstate")})
    path = tmp_path / "ecsenv.yaml"
    save_config(config, path)
    loaded = load_config(path)
    assert loaded == config
    assert [loaded.state_key(name) for name in ("global_aws", "staging", "production")] == [
        "shared/global.tfstate", "staging/terraform.tfstate", "prod.tfstate"]
    files = render.backend_files(loaded, str(tmp_path))
    assert 'key            = "prod.tfstate"' in files[str(tmp_path / "environments" / "production" /
                                                         "backend.s3.tfbackend")]


@pytest.mark.parametrize("extra, message", [
    ("  staging:\n    state_key: shared.tfstate\n  production:\n    state_key: shared.tfstate\n",
     "have the same state key 'shared.tfstate'"),
    ("  staging:\n    state_key: ecsenv/applied/x\n", "lie under ecsenv/"),
    ("  staging:\n    state_key: 'a b'\n", "a state key is an S3 object key"),
])
def test_state_keys_that_would_collide_or_escape_are_refused(tmp_path, extra, message):
    path = tmp_path / "ecsenv.yaml"
    path.write_text("project: acme\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n"
                    "  bucket: acme-state\n  locking: lockfile\nenvironments:\n" + extra)
    with pytest.raises(UserError, match=message):
        load_config(path)


def test_a_bad_trunk_is_refused_with_its_line(tmp_path):
    path = tmp_path / "ecsenv.yaml"
    path.write_text("project: acme\ntrunk: 'no..dots'\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n"
                    "  bucket: acme-state\n  locking: lockfile\n")
    with pytest.raises(UserError, match=r"ecsenv.yaml:2: the trunk is a git branch name"):
        load_config(path)


STATE = ("project: acme\nstate:\n  account_id: '123456789012'\n  region: us-east-1\n  bucket: acme-state\n"
         "  locking: lockfile\nenvironments:\n  staging:\n")


def test_services_pre_deploy_round_trips_and_splits_like_a_shell(tmp_path):
    from bootstrap.project.config import ServiceConfig

    path = tmp_path / "ecsenv.yaml"
    path.write_text(STATE + "services:\n  web:\n    pre_deploy: bin/migrate --label 'add email'\n  worker: {}\n")
    config = load_config(path)
    assert config.services["web"] == ServiceConfig("bin/migrate --label 'add email'")
    assert config.services["web"].pre_deploy_command == ["bin/migrate", "--label", "add email"]
    assert config.services["worker"].pre_deploy_command is None
    save_config(config, path)
    assert load_config(path).services["web"] == config.services["web"]


@pytest.mark.parametrize("services, message", [
    ("services:\n  web:\n    pre_deploy: bin/migrate 'unclosed\n", "ecsenv.yaml:11: the command"),
    ("services:\n  web:\n    pre_deploy: ''\n", "ecsenv.yaml:11: the command must be a non-empty string"),
    ("services:\n  web:\n    predeploy: bin/migrate\n", "ecsenv.yaml:11: unknown key 'services.web.predeploy'"),
    ("services:\n  'web app':\n    pre_deploy: bin/migrate\n", "ecsenv.yaml:10: service name 'web app'"),
    ("services: [web]\n", "ecsenv.yaml:9: 'services' must be a mapping"),
])
def test_services_errors_name_file_and_line(tmp_path, services, message):
    path = tmp_path / "ecsenv.yaml"
    path.write_text(STATE + services)
    with pytest.raises(UserError) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_rewriting_the_config_from_init_answers_keeps_the_services(tmp_path):
    """`ecsenv init` builds the config from its answers, which have no services: the file's own are kept."""
    from bootstrap.project.config import ServiceConfig
    from bootstrap.project.config_edits import write_config

    path = tmp_path / "ecsenv.yaml"
    path.write_text(STATE + "services:\n  web:\n    pre_deploy: bin/migrate\n")
    from_answers = load_config(path)
    from_answers.services = {}
    from_answers.state.tags = {"team": "payments"}
    assert write_config(from_answers, str(path)) is True
    assert load_config(path).services == {"web": ServiceConfig("bin/migrate")}
    assert load_config(path).state.tags == {"team": "payments"}


def test_github_repository_round_trips_and_is_optional(tmp_path):
    path = tmp_path / "ecsenv.yaml"
    config = sample()
    config.github_repository = "octo-org/shop.api"
    save_config(config, path)
    assert load_config(path).github_repository == "octo-org/shop.api"
    assert load_config(path) == config
    save_config(sample(), path)
    assert "github_repository" not in path.read_text() and load_config(path).github_repository is None


@pytest.mark.parametrize("value", ["acme", "acme/acme/x", "-acme/x", "acme/", "acme/..", "ac me/x", "a--b/x"])
def test_github_repository_must_be_owner_slash_name(tmp_path, value):
    path = tmp_path / "ecsenv.yaml"
    path.write_text(f"project: acme\ngithub_repository: '{value}'\nstate:\n  account_id: '123456789012'\n"
                    "  region: us-east-1\n  bucket: acme-state\n  locking: lockfile\n")
    with pytest.raises(UserError) as caught:
        load_config(path)
    assert "ecsenv.yaml:2: github_repository" in str(caught.value)
