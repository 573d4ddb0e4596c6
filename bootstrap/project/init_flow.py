"""The steps of `ecsenv init` that are neither questions nor AWS calls: where answers come from, turning them into
the project config, and writing it. The CLI sequences these with the wizard and the backend."""

import os

from bootstrap.project import answers as answer_rules
from bootstrap.project.config import CONFIG_FILE, GLOBAL_ENVIRONMENT, EnvironmentConfig, ProjectConfig, StateConfig, load_config, save_config
from bootstrap.errors import OperationFailed, UserError

__all__ = ["CONFIG_FILE", "previous_answers", "given_answers", "check_same_account", "build_config",
           "converge", "write_config"]


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
    }
    if state.uses_table:
        previous["lock_table"] = state.lock_table
    return previous


def given_answers(args, previous, interactive):
    """Answers fixed before any question: an existing ecsenv.yaml (non-interactive runs keep it as it is; the wizard
    offers its values as defaults instead), then the answers file, then --profile/--region."""
    given = {}
    if not interactive:
        given.update({key: value for key, value in previous.items() if key in answer_rules.ANSWER_KEYS})
    if args.answers:
        given.update(answer_rules.load_answers(args.answers))
    if args.region is not None:
        problem = answer_rules.problem("region", args.region)
        if problem:
            raise UserError(f"--region: {problem}")
        given["region"] = args.region
    if args.profile is not None:
        given["profile"] = args.profile
    if args.local:
        given["profile"] = None  # the emulator takes dummy credentials, never a real profile
    return given


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


def converge(aws, desired, changes, on_step=None):
    """Apply the plan, then read back. What AWS did not keep from a create call (an API or emulator that ignores
    tags on CreateBucket, say) gets one more pass of its own calls; anything still different after that fails."""
    from bootstrap.state_backend import backend

    backend.apply_changes(aws, changes, on_step)
    left = [change for change in backend.plan_backend(desired, backend.read_backend(aws, desired)) if change.pending]
    if left:
        backend.apply_changes(aws, left, on_step)
        left = [change for change in backend.plan_backend(desired, backend.read_backend(aws, desired))
                if change.pending]
    if left:
        raise OperationFailed("after applying, these settings still differ: " +
                              "; ".join(f"{change.resource} {change.setting}" for change in left) +
                              ". Re-run `ecsenv init` to retry")


def adoption_path(project_dir):
    from bootstrap.project import layout

    return layout.adoption_file(project_dir)


def adoption_written(project_dir):
    return os.path.exists(adoption_path(project_dir))


def generated_files(config, project_dir, adopt):
    """Every file init writes besides ecsenv.yaml, planned (nothing written yet). The adoption file is written
    once, when missing: after the import it is Terraform's and its owners' to edit, not a generated file."""
    from bootstrap.project import render
    from bootstrap.state_backend.adopt import adoption_file

    planned = render.plan_generated_files(config, project_dir)
    if adopt and not adoption_written(project_dir):
        text = ("# Written once by `ecsenv init --adopt`; from here on it is yours (ecsenv never rewrites it).\n"
                + adoption_file(config))
        planned.append(render.plan_file(adoption_path(project_dir), text))
    return planned


def write_config(config, config_path):
    """Write ecsenv.yaml unless it already says the same; True when written."""
    if os.path.exists(config_path):
        try:
            if load_config(config_path).to_dict() == config.to_dict():
                return False
        except UserError:
            pass  # an invalid file is replaced by the valid config we just applied
    save_config(config, config_path)
    return True
