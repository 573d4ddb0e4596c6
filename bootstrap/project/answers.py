"""Answers for `ecsenv init`: the shape every source (answers file, wizard, existing ecsenv.yaml) is brought to,
and the loader of an answers file with `file:line` messages. Nothing here touches AWS."""

import os

from bootstrap.errors import UserError
from bootstrap.project import validation
from bootstrap.project.config import EnvironmentConfig
from bootstrap.project.config_reader import load_config, promotion_problem
from bootstrap.project.layout import GLOBAL_ENVIRONMENT
from bootstrap.project.yamldoc import check_keys, expect_type, load_mapping

ANSWER_KEYS = ("project", "profile", "region", "environments", "locking", "kms_key_id", "bucket", "lock_table", "tags",
               "github_repository")
ENV_ANSWER_KEYS = {"promotes_from", "region", "account_id"}

VALIDATORS = {
    "project": validation.project_name,
    "region": validation.region,
    "locking": validation.locking,
    "kms_key_id": validation.kms_key_id,
    "bucket": validation.bucket_name,
    "lock_table": validation.table_name,
    "tags": validation.tags,
    "github_repository": validation.github_repository,
}


def chain_environments(names):
    """Environments in the order given, each promoted from the one before it (staging -> production)."""
    environments, previous = {}, None
    for name in names:
        environments[name] = {"promotes_from": previous}
        previous = name
    return environments


def parse_environment_list(text):
    names = [name.strip() for name in text.replace(",", " ").split() if name.strip()]
    return chain_environments(names)


def environments_problem(environments):
    """None when the normalised environments mapping is valid, else the problem."""
    if not environments:
        return "at least one environment is required"
    for name, settings in environments.items():
        problem = validation.environment_name(name)
        if problem:
            return problem
        for key in ("region",):
            if settings.get(key) is not None and validation.region(settings[key]):
                return validation.region(settings[key])
        if settings.get("account_id") is not None and validation.account_id(settings["account_id"]):
            return validation.account_id(settings["account_id"])
    as_config = {name: EnvironmentConfig("0" * 12, "us-east-1", settings.get("promotes_from"))
                 for name, settings in environments.items()}
    return promotion_problem(as_config)


def problem(key, value):
    """Validate one answer; None when fine."""
    if key == "environments":
        return environments_problem(value)
    if key == "profile":
        return None if value is None or isinstance(value, str) and value else "profile must be a profile name"
    validator = VALIDATORS.get(key)
    return validator(value) if validator else None


def load_answers(path):
    """The answers file as a dict of the keys it gives, each validated, environments normalised."""
    doc = load_mapping(path)
    data = dict(doc.data)
    check_keys(doc, data, set(ANSWER_KEYS))
    if "environments" in data:
        data["environments"] = _normalise_environments(doc, data["environments"])
    if data.get("github_repository") == "":
        data["github_repository"] = None  # written out as empty: no GitHub Actions roles
    for key in ("project", "region", "locking", "bucket", "lock_table", "profile", "github_repository"):
        if key in data and not (isinstance(data[key], str)
                                or key in ("profile", "github_repository") and data[key] is None):
            raise doc.error((key,), f"{key!r} must be a string, not {type(data[key]).__name__}")
    if data.get("tags") is None and "tags" in data:
        data["tags"] = {}
    for key, value in data.items():
        found = problem(key, value)
        if found:
            raise doc.error((key,), found)
    return data


def _normalise_environments(doc, value):
    if isinstance(value, list):
        for index, name in enumerate(value):
            if not isinstance(name, str):
                raise doc.error(("environments", index), "environment names must be strings")
            if name in value[:index]:
                raise doc.error(("environments", index), f"environment {name!r} is listed twice")
        return chain_environments(value)
    if isinstance(value, dict):
        environments = {}
        for name, settings in value.items():
            settings = {} if settings is None else expect_type(doc, ("environments", name), settings, dict,
                                                               "a mapping")
            check_keys(doc, settings, ENV_ANSWER_KEYS, ("environments", name))
            if settings.get("promotes_from") is not None:
                expect_type(doc, ("environments", name, "promotes_from"), settings["promotes_from"], str,
                            "the name of one environment")
            environments[name] = dict(settings)
        return environments
    raise doc.error(("environments",), "'environments' must be a list of names or a mapping of name: settings")


def previous_answers(config_path):
    """The answers an existing ecsenv.yaml implies ({} when there is none). Its errors are the user's to fix."""
    if not os.path.exists(config_path):
        return {}
    config = load_config(config_path)
    state = config.state
    previous = {
        "project": config.project,
        "region": state.region,
        "environments": {name: {"promotes_from": env.promotes_from, "region": env.region,
                                "account_id": env.account_id}
                         for name, env in config.environments.items()},
        "locking": state.locking,
        "kms_key_id": state.kms_key_id,
        "bucket": state.bucket,
        "tags": dict(state.tags),
        "account_id": state.account_id,
        "github_repository": config.github_repository,  # None is an answer too: no GitHub Actions roles
    }
    if state.uses_table:
        previous["lock_table"] = state.lock_table
    if config.app_repositories is not None:
        previous["app_repositories"] = list(config.app_repositories)  # not asked: kept as it is
    return previous


def given_answers(previous, interactive, answers_file=None, region=None, profile=None, local=False):
    """Answers fixed before any question: an existing ecsenv.yaml (non-interactive runs keep it as it is; the wizard
    offers its values as defaults instead), then the answers file, then --profile/--region."""
    given = {}
    if not interactive:
        given.update({key: value for key, value in previous.items() if key in ANSWER_KEYS})
    if answers_file:
        given.update(load_answers(answers_file))
    if region is not None:
        wrong = problem("region", region)
        if wrong:
            raise UserError(f"--region: {wrong}")
        given["region"] = region
    if profile is not None:
        given["profile"] = profile
    if local:
        given["profile"] = None  # the emulator takes dummy credentials, never a real profile
    return given


def answers_from_backends(declared):
    """Answers implied by the S3 backends an existing repository's roots declare (backend_checks.declared_backends): the
    one state bucket, its region and the locking they use. {} when none declares anything; a UserError when they
    disagree on the bucket (ecsenv keeps every state in one bucket)."""
    buckets = {backend.settings["bucket"] for backend in declared.values() if backend.settings.get("bucket")}
    if len(buckets) > 1:
        where = "; ".join(f"{', '.join(backend.sources)}: {backend.settings.get('bucket')}"
                          for backend in declared.values() if backend.settings.get("bucket"))
        raise UserError(f"the environments' backends use different state buckets ({where}): ecsenv keeps every "
                        "state in one bucket; move them into one first")
    found = {}
    names = [name for name in declared if name != GLOBAL_ENVIRONMENT]
    if names:
        found["environments"] = chain_environments(sorted(names, key=_promotion_rank))
    if buckets:
        found["bucket"] = buckets.pop()
    regions = {backend.settings["region"] for backend in declared.values() if backend.settings.get("region")}
    if len(regions) == 1:
        found["region"] = regions.pop()
    lockfile = any(str(backend.settings.get("use_lockfile")).lower() == "true" for backend in declared.values())
    tables = {backend.settings["dynamodb_table"] for backend in declared.values()
              if backend.settings.get("dynamodb_table")}
    if tables:
        found["lock_table"] = sorted(tables)[0]
        found["locking"] = "both" if lockfile else "dynamodb"
    elif lockfile:
        found["locking"] = "lockfile"
    return found


# Where a usual environment name stands in a promotion chain (unknown names come first, alphabetically).
USUAL_ORDER = ("dev", "development", "test", "qa", "staging", "stage", "uat", "preprod", "prod", "production")


def _promotion_rank(name):
    return (USUAL_ORDER.index(name) + 1 if name in USUAL_ORDER else 0, name)


def declared_keys(declared):
    """{environment: state key} the existing backends name."""
    return {name: backend.settings["key"] for name, backend in declared.items() if backend.settings.get("key")}
