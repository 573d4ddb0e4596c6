"""Reading ecsenv.yaml: every problem a UserError `path:line: ...` (wrong types included), with the rules shared
by the wizard and the answers file (validation.py) and the ones about the environments together (promotion order,
shared state keys)."""

from bootstrap.project import validation
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, ServiceConfig, StateConfig
from bootstrap.project.layout import CONFIG_FILE, GLOBAL_ENVIRONMENT
from bootstrap.project.yamldoc import check_keys, expect_type, load_mapping

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
        _check(doc, ("environments", name), validation.environment_in_project(data.get("project"), name))
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
