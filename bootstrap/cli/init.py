"""`ecsenv init`: the wizard (or an answers file), then the hardened state backend, ecsenv.yaml and the generated
files."""

import glob
import os
import sys

from bootstrap.errors import EXIT_OK, EXIT_PENDING, UserError


def cmd_init(ctx):
    from bootstrap.cli import display, wizard
    from bootstrap.project import answers as answer_rules
    from bootstrap.project import backend_checks, config_edits, layout, render, stack
    from bootstrap.state_backend import adopt as adoption
    from bootstrap.state_backend.apply import converge
    from bootstrap.state_backend.desired import DesiredBackend
    from bootstrap.state_backend.plan import plan_backend

    project_dir = ctx.project_dir
    if not os.path.isdir(project_dir):
        raise UserError(f"project directory {project_dir!r} does not exist")
    args = ctx.args
    config_path = ctx.config_path
    from bootstrap.project import files as project_files

    if not args.plan:  # a read-only or unwritable project is found now, not after the bucket exists
        project_files.check_writable(project_dir, [config_path, layout.backend_file(project_dir, "global_aws")])
    interactive = sys.stdin.isatty() and not args.yes and not args.answers
    previous = answer_rules.previous_answers(config_path)
    # an existing repository, adopted as it is
    declared = {} if previous else backend_checks.declared_backends(project_dir)
    if declared:
        print("Found backends declared by the existing roots (their settings are kept):")
        for found in declared.values():
            settings = ", ".join(f"{key}={str(value).lower() if isinstance(value, bool) else value}"
                                 for key, value in sorted(found.settings.items()))
            print(f"  {found.environment}: {settings} ({', '.join(found.sources)})")
        previous = answer_rules.answers_from_backends(declared)
    given = answer_rules.given_answers(previous, interactive, answers_file=args.answers, region=args.region,
                                       profile=args.profile, local=args.local)
    wiz = wizard.Wizard(given, interactive=interactive, assume_yes=args.yes)
    wiz.require_complete(wizard.connection_questions(previous, project_dir)
                         + wizard.settings_questions(previous, "0" * 12, project_dir))
    _check_names_fit(given.get("project"), given.get("environments"))  # before any AWS call, when given

    answers = wiz.fill(wizard.connection_questions(previous, project_dir))
    aws = ctx.aws(answers["region"], profile=answers.get("profile"))
    first = _first_round_trip(aws, wiz, previous, local=ctx.args.local)
    identity = first.identity()
    print(f"AWS account {identity.account_id}, caller {identity.arn}, region {answers['region']}.")
    config_edits.check_same_account(previous, identity, config_path)
    if not ctx.args.plan and not wiz.confirm("Continue with this account?"):
        print("Stopped; nothing was changed.")
        return EXIT_OK

    answers = wiz.fill(wizard.settings_questions(previous, identity.account_id, project_dir))
    config = config_edits.with_state_keys(config_edits.build_config(answers, identity),
                                          answer_rules.declared_keys(declared))
    _check_names_fit(config.project, config.environments)  # asked: before anything is written
    if config.state.kms_key_id:  # before anything is created: a missing key is bad input (exit 2)
        key_arn = first.key_arn(config.state.kms_key_id)
        if key_arn != config.state.kms_key_id:
            print(f"KMS key {config.state.kms_key_id} is {key_arn}; ecsenv.yaml and the IAM policies name the key ARN.")
        config.state.kms_key_id = key_arn
    config.app_repositories = previous.get("app_repositories")  # no question asks it: a re-run keeps it
    scaffold = _wants_scaffold(args, wiz, interactive, project_dir, config)
    stack_files = stack.planned_files(config, project_dir) if scaffold else []
    # Offered by default only where a global_aws root will hold it: alone, the file is a root with no provider
    # that `plan global_aws` cannot run and `check` flags (FIELD-REPORT 4.3).
    has_global_root = scaffold or bool(glob.glob(os.path.join(layout.environment_dir(project_dir, "global_aws"),
                                                              "*.tf")))
    adopt = args.adopt or (interactive and not args.plan and not os.path.exists(layout.adoption_file(project_dir))
                           and wiz.confirm("Also write environments/global_aws/state_backend.tf, so Terraform takes "
                                       "over the bucket and table (import blocks, prevent_destroy)?",
                                       default=has_global_root))
    files = adoption.generated_files(config, project_dir, adopt)
    desired = DesiredBackend.from_state_config(config.state, tls_only=not ctx.args.local)
    changes = plan_backend(desired, first.backend(desired))
    print(display.format_plan(changes, identity, config.state.region, color=display.use_color()))
    if stack_files:
        print(display.format_stack(stack_files, project_dir, planned=True))
    print(display.format_files(files, planned=True))
    pending = [change for change in changes if change.pending]
    pending += [planned for planned in stack_files if planned.status in (render.CREATE, render.UPDATE)]
    pending += [planned for planned in files if planned.status != render.UNCHANGED]

    if ctx.args.plan:
        print("Changes pending: run `ecsenv init` to apply them." if pending else "Converged: nothing to do.")
        return EXIT_PENDING if pending else EXIT_OK
    conflicts = [planned for planned in files if planned.status in (render.EDITED, render.FOREIGN)]
    if conflicts and not ctx.args.force:
        raise render.RenderConflict(conflicts)  # before any change, so nothing is half done
    stack.check_conflicts(stack_files, project_dir)  # before any change, so nothing is half done
    project_files.check_writable(project_dir, [config_path, *(planned.path for planned in [*stack_files, *files])])
    if any(change.pending for change in changes):
        if not wiz.confirm("Apply these changes?"):
            print("Stopped; nothing was changed.")
            return EXIT_OK
        ctx.start_changes()
        converge(aws, desired, changes, on_step=lambda change: print(
            f"  {change.operation.replace('_', '-')} ({change.resource}: {change.setting})"),
            on_note=lambda note: print(f"  note: {note}"))
        print(f"Done: {display.summary_line(changes).replace('to create', 'created').replace('to change', 'changed')}")
    else:
        print("Converged: the state bucket and lock table are already as specified; nothing was changed.")
    written = config_edits.write_config(config, config_path)
    print(f"{'Wrote' if written else 'Unchanged:'} {os.path.normpath(config_path)}.")
    if stack_files:
        print(display.format_stack(stack.write(stack_files), project_dir))
    print(display.format_files(render.write_planned(files, force=True)))
    _print_next_steps(ctx, config, adopt=adopt, interactive=interactive)
    return EXIT_OK


def _check_names_fit(project, environments):
    from bootstrap.project import validation

    for environment in environments or ():
        problem = validation.environment_in_project(project, environment)
        if problem:
            raise UserError(problem)


def _first_round_trip(aws, wiz, previous, local):
    """STS, sent together with the backend's reads and the KMS lookup when the settings are known before the account
    is (nothing will be asked, and the bucket is named: its default name includes the account)."""
    import dataclasses

    from bootstrap.aws import Identity
    from bootstrap.cli import wizard
    from bootstrap.project import config_edits
    from bootstrap.state_backend.desired import DesiredBackend
    from bootstrap.state_backend.first_round_trip import FirstRoundTrip

    early = wizard.answers_before_account(wiz, previous)
    if early is None:
        return FirstRoundTrip(aws)
    state = config_edits.build_config(early, Identity(previous.get("account_id") or "", "")).state
    desired = dataclasses.replace(DesiredBackend.from_state_config(state, tls_only=not local),
                                  account_id=previous.get("account_id") or None)
    return FirstRoundTrip(aws, desired, kms_key=state.kms_key_id)


def _wants_scaffold(args, wiz, interactive, project_dir, config):
    """Whether to write ecsenv's stack: --scaffold / --no-scaffold; else, in a repository without Terraform code,
    the wizard asks (default yes); without a terminal (or with --yes) only when asked for with --scaffold, so a
    script never gets 60 files it did not ask for (the next steps say how)."""
    from bootstrap.project import stack

    if args.scaffold is not None:
        return args.scaffold
    if stack.has_stack(project_dir) or not interactive:
        return False
    environments = ", ".join(f"environments/{name}/" for name in config.environments)
    return wiz.confirm(f"This repository has no Terraform code yet. Write ecsenv's stack: modules/, "
                       f"environments/global_aws/, {environments}, .github/workflows/ and maskfile.md?",
                       default=True)


def _print_next_steps(ctx, config, adopt, interactive):
    """What to run now, as ecsenv commands that work from this state (tests/e2e/test_scaffold.py runs them)."""
    from bootstrap.project import layout, stack

    first = layout.GLOBAL_ENVIRONMENT
    if not stack.has_stack(ctx.project_dir):
        again = ctx.command("init --scaffold" + ("" if interactive else " --yes"))
        print("Next: this repository has no Terraform code yet. `" + again + "` writes ecsenv's stack (modules/, "
              "environments/ for global_aws and each environment, .github/workflows/, maskfile.md); or write your "
              "own roots under environments/.")
    else:
        roots = [first, *config.environments]
        print("Next: commit everything (git add -A && git commit -m \"ecsenv stack\"), then plan and apply each root "
              f"in promotion order ({' -> '.join(roots)}): `{ctx.command(f'plan {first}')}`, then "
              f"`{ctx.command(f'apply {first}')}`; then the same for {', '.join(config.environments)}.")
    if adopt:
        print(f"{layout.adoption_file(ctx.project_dir)} is yours from now on: `{ctx.command(f'plan {first}')}` shows "
              "the bucket and table being imported (N to import), destroying nothing.")


COMMANDS = {"init": cmd_init}
