"""The project config `ecsenv.yaml`: the model, loading with line-precise validation, saving, and adding or removing
an environment as an edit of the file's text (bootstrap/project/yamledit.py) that keeps its comments."""

import dataclasses
import os
from dataclasses import dataclass, field

import yaml

from bootstrap.errors import OperationFailed, UserError
from bootstrap.project import validation
from bootstrap.project.layout import CONFIG_FILE, GLOBAL_ENVIRONMENT  # noqa: F401 - re-exported for callers
from bootstrap.project.yamldoc import QuotingDumper, check_keys, expect_type, load_mapping

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


STATE_KEYS = {"account_id", "region", "bucket", "locking", "lock_table", "kms_key_id", "tags", "global_state_key"}
ENV_KEYS = {"account_id", "region", "promotes_from", "state_key"}
SERVICE_KEYS = {"pre_deploy"}


def load_config(path=CONFIG_FILE, text=None):
    """ecsenv.yaml (or `text` as its new content), validated: every problem is a UserError `path:line: ...`, wrong
    types included."""
    doc = load_mapping(path, text)
    data = doc.data
    check_keys(doc, data, {"project", "trunk", "github_repository", "state", "environments", "services",
                           "app_repositories"})
    for required in ("project", "state"):
        if required not in data:
            raise doc.error((), f"missing key {required!r}")
    expect_type(doc, ("project",), data["project"], str, "a string")
    _check(doc, ("project",), validation.project_name(data["project"]))
    if data.get("trunk") is not None:
        _check(doc, ("trunk",), validation.branch_name(data["trunk"]))
    github_repository = data.get("github_repository") or None
    _check(doc, ("github_repository",), validation.github_repository(github_repository))
    state = expect_type(doc, ("state",), data["state"], dict, "a mapping")
    check_keys(doc, state, STATE_KEYS, ("state",))
    for required in ("account_id", "region", "bucket"):
        if required not in state:
            raise doc.error(("state",), f"missing key 'state.{required}'")
    for key in ("region", "bucket", "locking", "lock_table", "kms_key_id", "global_state_key"):
        if state.get(key) is not None:
            expect_type(doc, ("state", key), state[key], str, "a string")
    tags = state.get("tags")
    state_config = StateConfig(
        account_id=state["account_id"],
        region=state["region"],
        bucket=state["bucket"],
        locking=state.get("locking", "both"),
        lock_table=state.get("lock_table"),
        kms_key_id=state.get("kms_key_id") or None,
        tags={} if tags is None else tags,
        global_state_key=state.get("global_state_key") or None,
    )
    _check(doc, ("state", "account_id"), validation.account_id(state_config.account_id))
    _check(doc, ("state", "region"), validation.region(state_config.region))
    _check(doc, ("state", "bucket"), validation.bucket_name(state_config.bucket))
    _check(doc, ("state", "locking"), validation.locking(state_config.locking))
    if state_config.uses_table:
        if state_config.lock_table is None:
            raise doc.error(("state", "locking"),
                            f"locking {state_config.locking!r} needs 'state.lock_table'")
        _check(doc, ("state", "lock_table"), validation.table_name(state_config.lock_table))
    elif state_config.lock_table is not None:
        _check(doc, ("state", "lock_table"), validation.table_name(state_config.lock_table))
    _check(doc, ("state", "kms_key_id"), validation.kms_key_id(state_config.kms_key_id))
    _check_tags(doc, ("state", "tags"), state_config.tags)
    if state_config.global_state_key is not None:
        _check(doc, ("state", "global_state_key"), validation.state_key(state_config.global_state_key))

    environments = {}
    raw_envs = data.get("environments")
    raw_envs = {} if raw_envs is None else expect_type(doc, ("environments",), raw_envs, dict,
                                                       "a mapping of name: settings")
    for name, raw in raw_envs.items():
        _check(doc, ("environments", name), validation.environment_name(name))
        raw = {} if raw is None else expect_type(doc, ("environments", name), raw, dict, "a mapping")
        check_keys(doc, raw, ENV_KEYS, ("environments", name))
        promotes_from = raw.get("promotes_from")
        if promotes_from is not None:
            expect_type(doc, ("environments", name, "promotes_from"), promotes_from, str,
                        "the name of one environment")
        for key in ("region", "state_key"):
            if raw.get(key) is not None:
                expect_type(doc, ("environments", name, key), raw[key], str, "a string")
        env = EnvironmentConfig(
            account_id=raw.get("account_id", state_config.account_id),
            region=raw.get("region", state_config.region),
            promotes_from=promotes_from,
            state_key=raw.get("state_key") or None,
        )
        if env.state_key is not None:
            _check(doc, ("environments", name, "state_key"), validation.state_key(env.state_key))
        _check(doc, ("environments", name, "account_id"), validation.account_id(env.account_id))
        _check(doc, ("environments", name, "region"), validation.region(env.region))
        environments[name] = env
    problem = promotion_problem(environments)
    if problem:
        # the line of the promotes_from that is wrong, not of `environments:`
        culprit = next((name for name, env in environments.items() if env.promotes_from
                        and f"environment {name!r}" in problem), None)
        raise doc.error(("environments", culprit, "promotes_from") if culprit else ("environments",), problem)
    app_repositories = data.get("app_repositories")
    if app_repositories is not None:
        _check(doc, ("app_repositories",), _repositories_problem(app_repositories))
    config = ProjectConfig(project=data["project"], state=state_config, environments=environments,
                           trunk=data.get("trunk"), app_repositories=app_repositories,
                           github_repository=github_repository,
                           services=_load_services(doc, data.get("services")))
    _check(doc, ("environments",), shared_key_problem(config))
    return config


def _check_tags(doc, key_path, tags):
    """Tags, with the line of the offending tag when there is one."""
    problem = validation.tags(tags)
    if problem and isinstance(tags, dict):
        for key, value in tags.items():
            if validation.tags({key: value}):
                raise doc.error(key_path + (key,), problem)
    _check(doc, key_path, problem)


def _load_services(doc, raw_services):
    """`services: {<ECS service name>: {pre_deploy: "bin/migrate"}}`: per-service settings for every environment."""
    if raw_services is None:
        return {}
    if not isinstance(raw_services, dict):
        raise doc.error(("services",), "'services' must be a mapping of ECS service name: settings")
    services = {}
    for name, raw in raw_services.items():
        _check(doc, ("services", name), validation.service_name(name))
        raw = {} if raw is None else expect_type(doc, ("services", name), raw, dict,
                                                 "a mapping (e.g. pre_deploy: bin/migrate)")
        check_keys(doc, raw, SERVICE_KEYS, ("services", name))
        if raw.get("pre_deploy") is not None:
            _check(doc, ("services", name, "pre_deploy"), validation.command_line(raw["pre_deploy"]))
        services[name] = ServiceConfig(pre_deploy=raw.get("pre_deploy"))
    return services


def _repositories_problem(value):
    """None when `value` is a non-empty list of ECR repository names (without the registry host)."""
    import re

    if not isinstance(value, list) or not value:
        return "'app_repositories' must be a list of ECR repository names, e.g. [acme/web, acme/worker]"
    component = r"[a-z0-9]+(?:[._-][a-z0-9]+)*"  # ECR's repository name pattern, 2-256 characters
    for name in value:
        if not isinstance(name, str) or not re.fullmatch(f"(?:{component}/)*{component}", name) \
                or not 2 <= len(name) <= 256:
            return f"{name!r} in 'app_repositories' is not an ECR repository name (no registry host, no tag)"
    return None


def state_key(environment):
    """The default state key of an environment (ProjectConfig.state_key gives the configured one)."""
    return f"{environment}/terraform.tfstate"


def shared_key_problem(config):
    """None unless two roots would share one state key (one would plan against the other's state)."""
    owners = {}
    for name in (GLOBAL_ENVIRONMENT, *config.environments):
        key = config.state_key(name)
        if key in owners:
            return f"environments {owners[key]!r} and {name!r} have the same state key {key!r}"
        owners[key] = name
    return None


def promotion_problem(environments):
    """None when every promotes_from names another, earlier environment (no cycles), else the problem."""
    seen = set()
    for name, env in environments.items():
        source = env.promotes_from
        if source is not None:
            if source == name:
                return f"environment {name!r} cannot promote from itself"
            if source not in environments:
                return f"environment {name!r} promotes from {source!r}, which is not an environment"
            if source not in seen:
                return f"environment {name!r} promotes from {source!r}, which must be listed before it"
        seen.add(name)
    return None


def _check(doc, key_path, problem):
    if problem:
        raise doc.error(key_path, problem)


def save_config(config, path=CONFIG_FILE):
    """Write ecsenv.yaml (atomically, never through a link, with the mode of a file to commit)."""
    from bootstrap.project import files

    text = HEADER + yaml.dump(config.to_dict(), Dumper=QuotingDumper, sort_keys=False, default_flow_style=False)
    files.write_text(path, text, project_dir=os.path.dirname(os.path.abspath(path)))


def environment_entry(env):
    """An environment's settings as ecsenv.yaml writes them."""
    entry = {"account_id": env.account_id, "region": env.region}
    if env.promotes_from:
        entry["promotes_from"] = env.promotes_from
    if env.state_key:
        entry["state_key"] = env.state_key
    return entry


def add_environment(path, config, name, env):
    """(the config with environment `name` added as the last one, ecsenv.yaml's new text): a round-trip edit of the
    file's text (comments and layout stay), already checked with the loader. The caller writes it
    (yamldoc.write_atomically) once everything else is ready."""
    from bootstrap.project import yamledit

    updated = dataclasses.replace(config, environments={**config.environments, name: env})
    return updated, edited_text(path, lambda text: yamledit.add_environment(text, name, environment_entry(env)),
                                updated)


def remove_environment(path, config, name):
    """(the config without environment `name`, ecsenv.yaml's new text with its lines taken out), as above."""
    from bootstrap.project import yamledit

    updated = dataclasses.replace(config, environments={key: env for key, env in config.environments.items()
                                                        if key != name})
    return updated, edited_text(path, lambda text: yamledit.remove_environment(text, name), updated)


def edited_text(path, edit, expected):
    """ecsenv.yaml's text after `edit` (text -> text), provided the normal loader reads it back as `expected`: an
    edit that would change anything else, or leave an invalid file, is refused."""
    from bootstrap.project import files

    text = files.read_text(path, os.path.dirname(os.path.abspath(path)))
    new_text = edit(text)
    try:
        loaded = load_config(path, text=new_text)
    except UserError as exc:
        raise OperationFailed(f"editing {path} would leave it invalid ({exc}); nothing was written: make the "
                              "change by hand") from None
    if loaded.to_dict() != expected.to_dict():
        raise OperationFailed(f"editing {path} would not give the intended settings; nothing was written: make the "
                              "change by hand")
    return new_text


def check_same_account(previous, identity, config_path):
    recorded = previous.get("account_id")
    if recorded and recorded != identity.account_id:
        raise UserError(f"{config_path} is for account {recorded}, but these credentials are for account "
                        f"{identity.account_id}: switch profile, or move ecsenv.yaml aside to start a new project")


def build_config(answers, identity):
    region = answers["region"]
    locking = answers["locking"]
    state = StateConfig(
        account_id=identity.account_id,
        region=region,
        bucket=answers["bucket"],
        locking=locking,
        lock_table=answers.get("lock_table") if locking in ("both", "dynamodb") else None,
        kms_key_id=answers.get("kms_key_id") or None,
        tags=dict(answers.get("tags") or {}),
    )
    environments = {
        name: EnvironmentConfig(account_id=settings.get("account_id") or identity.account_id,
                                region=settings.get("region") or region,
                                promotes_from=settings.get("promotes_from"))
        for name, settings in answers["environments"].items()
    }
    return ProjectConfig(project=answers["project"], state=state, environments=environments)


def write_config(config, config_path):
    """Write ecsenv.yaml unless it already says the same; True when written. `services` is not asked by `init`:
    the file's own is kept when `config` has none."""
    if os.path.exists(config_path):
        try:
            previous = load_config(config_path)
            if not config.services:
                config.services = previous.services
            if previous.to_dict() == config.to_dict():
                return False
        except UserError:
            pass  # an invalid file is replaced by the valid config we just applied
    save_config(config, config_path)
    return True


def with_state_keys(config, keys):
    """The config with the state keys an existing repository uses (only where they differ from the default)."""
    import dataclasses

    environments = {name: dataclasses.replace(env, state_key=keys[name]) if keys.get(name) not in (
                        None, state_key(name)) else env
                    for name, env in config.environments.items()}
    global_key = keys.get(GLOBAL_ENVIRONMENT)
    state = config.state
    if global_key not in (None, state_key(GLOBAL_ENVIRONMENT)):
        state = dataclasses.replace(state, global_state_key=global_key)
    return dataclasses.replace(config, state=state, environments=environments)
