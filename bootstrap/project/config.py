"""The project config `ecsenv.yaml`: the model, and saving it. Reading it (line-precise validation) is
config_reader.py; init's new config and the edits of env add/remove are config_edits.py."""

import os
from dataclasses import dataclass, field

import yaml

from bootstrap.project.layout import CONFIG_FILE, GLOBAL_ENVIRONMENT
from bootstrap.project.yamldoc import QuotingDumper

HEADER = ("# ecsenv project config, written by `ecsenv init`. Commit it: it holds no secrets.\n"
          "# Edit by hand or re-run `ecsenv init`; `ecsenv init --plan` shows what the account lacks.\n")


@dataclass
class StateConfig:
    account_id: str
    region: str
    bucket: str
    locking: str = "both"
    lock_table: str | None = None
    kms_key_id: str | None = None
    tags: dict = field(default_factory=dict)
    global_state_key: str | None = None  # global_aws's state key when it is not the default (an adopted repository)

    @property
    def uses_table(self):
        return self.locking in ("both", "dynamodb")


@dataclass
class EnvironmentConfig:
    account_id: str
    region: str
    promotes_from: str | None = None
    state_key: str | None = None  # None: the default `<name>/terraform.tfstate`


@dataclass
class ServiceConfig:
    """What ecsenv does around one ECS service's deploys, the same in every environment."""

    pre_deploy: str | None = None  # a one-off task run with the NEW image before any service is updated

    @property
    def pre_deploy_command(self):
        """The pre-deploy command as the words of a container command (split like a shell; no shell runs it)."""
        import shlex

        return shlex.split(self.pre_deploy) if self.pre_deploy else None


@dataclass
class ProjectConfig:
    project: str
    state: StateConfig
    environments: dict = field(default_factory=dict)  # name -> EnvironmentConfig, in promotion order
    trunk: str | None = None  # the branch releases come from; None: the remote's HEAD branch, else main
    services: dict = field(default_factory=dict)  # ECS service name -> ServiceConfig (optional)
    # ECR repository names whose images deploys retag with the commit (None: every `<project>/...` repository).
    app_repositories: list | None = None
    github_repository: str | None = None  # owner/name whose workflows get the roles of environments/global_aws

    def state_key(self, environment):
        """Where an environment's state lives in the state bucket (its .tflock sits beside it)."""
        if environment == GLOBAL_ENVIRONMENT:
            return self.state.global_state_key or state_key(environment)
        return self.environments[environment].state_key or state_key(environment)

    def to_dict(self):
        state = {
            "account_id": self.state.account_id,
            "region": self.state.region,
            "bucket": self.state.bucket,
            "locking": self.state.locking,
        }
        if self.state.uses_table:
            state["lock_table"] = self.state.lock_table
        state["kms_key_id"] = self.state.kms_key_id
        state["tags"] = dict(self.state.tags)
        if self.state.global_state_key:
            state["global_state_key"] = self.state.global_state_key
        environments = {name: environment_entry(env) for name, env in self.environments.items()}
        document = {"project": self.project}
        if self.trunk:
            document["trunk"] = self.trunk
        if self.github_repository:
            document["github_repository"] = self.github_repository
        document = {**document, "state": state, "environments": environments}
        if self.services:
            document["services"] = {name: {"pre_deploy": service.pre_deploy}
                                    for name, service in self.services.items() if service.pre_deploy}
        if self.app_repositories is not None:
            document["app_repositories"] = list(self.app_repositories)
        return document


def state_key(environment):
    """The default state key of an environment (ProjectConfig.state_key gives the configured one)."""
    return f"{environment}/terraform.tfstate"


def environment_entry(env):
    """An environment's settings as ecsenv.yaml writes them."""
    entry = {"account_id": env.account_id, "region": env.region}
    if env.promotes_from:
        entry["promotes_from"] = env.promotes_from
    if env.state_key:
        entry["state_key"] = env.state_key
    return entry


def save_config(config, path=CONFIG_FILE):
    """Write ecsenv.yaml (atomically, never through a link, with the mode of a file to commit)."""
    from bootstrap.project import files

    text = HEADER + yaml.dump(config.to_dict(), Dumper=QuotingDumper, sort_keys=False, default_flow_style=False)
    files.write_text(path, text, project_dir=os.path.dirname(os.path.abspath(path)))
