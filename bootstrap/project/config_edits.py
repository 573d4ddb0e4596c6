"""Changes to ecsenv.yaml: init's new config (from its answers, with an existing repository's state keys), written
only when it says something new; and env add/remove as round-trip edits of the file's text (yamledit.py) that keep
its comments, checked by reading the result back."""

import dataclasses
import os

from bootstrap.errors import OperationFailed, UserError
from bootstrap.project.config import (
    EnvironmentConfig,
    ProjectConfig,
    StateConfig,
    environment_entry,
    save_config,
    state_key,
)
from bootstrap.project.config_reader import load_config
from bootstrap.project.layout import GLOBAL_ENVIRONMENT


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
    return ProjectConfig(project=answers["project"], state=state, environments=environments,
                         github_repository=answers.get("github_repository") or None)


def write_config(config, config_path):
    """Write ecsenv.yaml unless it already says the same; True when written. `services` and `trunk` are not asked
    by `init`: the file's own are kept when `config` has none."""
    if os.path.exists(config_path):
        try:
            previous = load_config(config_path)
            if not config.services:
                config.services = previous.services
            if config.trunk is None:
                config.trunk = previous.trunk
            if previous.to_dict() == config.to_dict():
                return False
        except UserError:
            pass  # an invalid file is replaced by the valid config we just applied
    save_config(config, config_path)
    return True


def with_state_keys(config, keys):
    """The config with the state keys an existing repository uses (only where they differ from the default)."""
    environments = {name: dataclasses.replace(env, state_key=keys[name]) if keys.get(name) not in (
                        None, state_key(name)) else env
                    for name, env in config.environments.items()}
    global_key = keys.get(GLOBAL_ENVIRONMENT)
    state = config.state
    if global_key not in (None, state_key(GLOBAL_ENVIRONMENT)):
        state = dataclasses.replace(state, global_state_key=global_key)
    return dataclasses.replace(config, state=state, environments=environments)
