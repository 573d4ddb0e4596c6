"""ecsenv.yaml: saving and loading round-trip, and line-precise errors."""

import pytest

from bootstrap.errors import UserError
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, load_config, save_config


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
