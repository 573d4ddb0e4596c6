"""The whole stack for a repository that has none: what `ecsenv init --scaffold` writes. Pure: reads the stack ecsenv
ships (layout.STACK: this repository's own modules/, environments/, .github/workflows/ and maskfile.md, installed as
package data) and returns {path: text}; writing is the caller's (render.plan_file / write_planned).

- modules/ and environments/global_aws/ are copied as they are: they take their identity from the generated
  ecsenv.auto.tfvars, so nothing in them names a project, an account or a region.
- Every environment in ecsenv.yaml gets the one app root ecsenv ships (environments/staging: the same code in every
  environment). Only its data file, env.auto.tfvars, differs: it is rewritten for the environment the way `env add`
  rewrites a copy (retarget.Retarget: the name, and a VPC network that overlaps no other environment's), without
  review markers, since nothing in a fresh stack was anyone's value to review.
- The CI workflows name the first environment (deploy.yml) and the promoted one (promote.yml): they are renamed for
  this project's environments; a chain of more than two gets one promote workflow per promoted environment."""

import os
from dataclasses import dataclass

from bootstrap.errors import UserError
from bootstrap.project import layout, networks
from bootstrap.project.layout import GLOBAL_ENVIRONMENT
from bootstrap.project.retarget import Retarget, rename_words

TEMPLATE_ENVIRONMENT = "staging"  # the app root every environment is made from
TEMPLATE_PROMOTED = "production"  # the promoted environment the shipped promote workflow names
DATA_FILE = "env.auto.tfvars"  # what makes one environment differ from another
DEPLOY_WORKFLOW, PROMOTE_WORKFLOW = "deploy.yml", "promote.yml"
# Written per project by ecsenv (render, init --adopt), or terraform's working files: never part of the stack.
NOT_SHIPPED = {layout.BACKEND_FILE, layout.GENERATED_TFVARS, layout.ADOPTION_FILE}
NOT_SHIPPED_SUFFIXES = (".tfstate", ".tfstate.backup", ".tfplan")
# Terraform's working files, which must not make the work tree dirty (plan and apply refuse a dirty tree): added to
# the repository's .gitignore, or a new one.
GITIGNORE = ".gitignore"
IGNORED = (".terraform/", "*.tfstate", "*.tfstate.backup", "*.tfplan")


@dataclass(frozen=True)
class Stack:
    files: dict  # {path: text}
    networks: dict  # {environment: its VPC network}


def shipped_dir():
    return str(layout.STACK)


def _shipped_files(directory):
    """{path relative to `directory`: text} of a shipped directory: hidden files and directories (.terraform/) and
    what ecsenv generates per project are left out; the provider lock files are kept (the same provider versions
    as the stack was tested with)."""
    found = {}
    for current, subdirs, names in os.walk(directory):
        subdirs[:] = sorted(subdir for subdir in subdirs if not subdir.startswith("."))
        for name in sorted(names):
            if (name.startswith(".") and name != layout.LOCK_FILE) or name in NOT_SHIPPED \
                    or name.endswith(NOT_SHIPPED_SUFFIXES):
                continue
            path = os.path.join(current, name)
            with open(path, encoding="utf-8") as handle:
                found[os.path.relpath(path, directory)] = handle.read()
    return found


def has_stack(project_dir):
    """Whether the repository has Terraform code of its own: any .tf file under modules/ or environments/, besides
    what ecsenv generates (an init without the stack may have left backend configs and state_backend.tf)."""
    for top in (layout.MODULES_DIR, layout.ENVIRONMENTS_DIR):
        for _current, subdirs, names in os.walk(os.path.join(project_dir, top)):
            subdirs[:] = [subdir for subdir in subdirs if not subdir.startswith(".")]
            if any(name.endswith(".tf") and name not in NOT_SHIPPED for name in names):
                return True
    return False


def plan_stack(config, project_dir):
    """The stack for `config`'s environments, as {path in project_dir: text}."""
    source = shipped_dir()
    template = os.path.join(source, layout.ENVIRONMENTS_DIR, TEMPLATE_ENVIRONMENT)
    if not os.path.isfile(os.path.join(template, DATA_FILE)):
        raise UserError(f"this ecsenv has no stack to write ({template} is missing): reinstall ecsenv")
    files = {}

    def add(directory, relative_files):
        for relative, text in relative_files.items():
            files[os.path.join(project_dir, directory, relative)] = text

    add(layout.MODULES_DIR, _shipped_files(os.path.join(source, layout.MODULES_DIR)))
    global_dir = os.path.join(layout.ENVIRONMENTS_DIR, GLOBAL_ENVIRONMENT)
    add(global_dir, _shipped_files(os.path.join(source, global_dir)))
    template_files = _shipped_files(template)
    assigned = _environment_networks(config, networks.root_networks(template))
    for name in config.environments:
        add(os.path.join(layout.ENVIRONMENTS_DIR, name), _environment_files(config, name, template_files, assigned))
    add(layout.WORKFLOWS_DIR, _workflows(config, _shipped_files(os.path.join(source, layout.WORKFLOWS_DIR))))
    maskfile = os.path.join(source, layout.MASKFILE)
    if os.path.isfile(maskfile):
        with open(maskfile, encoding="utf-8") as handle:
            files[os.path.join(project_dir, layout.MASKFILE)] = handle.read()
    return Stack(files, assigned)


def _environment_networks(config, template_networks):
    """{environment: VPC network}: the first environment keeps the template's, each next one the next network free
    beside those already given (networks.free_network, as `env add` picks one)."""
    if not template_networks:
        return {}
    template, assigned = template_networks[0], {}
    for name in config.environments:
        if not assigned:
            assigned[name] = template
            continue
        free = networks.free_network(template, list(assigned.values()))
        if free is None:
            raise UserError(f"no /{template.prefixlen} network is free for {name}'s VPC beside "
                            f"{', '.join(map(str, assigned.values()))}")
        assigned[name] = free
    return assigned


def _environment_files(config, name, template_files, assigned):
    """The template root for environment `name`: its code as it is, its data file rewritten for `name`."""
    others = tuple(other for other in (GLOBAL_ENVIRONMENT, *config.environments) if other != TEMPLATE_ENVIRONMENT)
    template_network = next(iter(assigned.values()), None)
    network = (template_network, assigned[name]) if name in assigned and assigned[name] != template_network else None
    plan = Retarget(source=TEMPLATE_ENVIRONMENT, target=name, other_environments=others, network=network,
                    marked=False)
    files = dict(template_files)
    files[DATA_FILE] = plan.rewrite(files[DATA_FILE])[0]
    return files


def _workflows(config, shipped):
    """The shipped workflows, renamed for this project's environments: deploy.yml for the first one, a promote
    workflow for each promoted one (none when nothing is promoted)."""
    names = list(config.environments)
    renamed = {TEMPLATE_ENVIRONMENT: names[0]}
    if len(names) > 1:
        renamed[TEMPLATE_PROMOTED] = names[-1]
    files = {}
    for relative, text in shipped.items():
        if relative != PROMOTE_WORKFLOW:
            files[relative] = rename_words(text, renamed)
    promoted = [(name, env.promotes_from) for name, env in config.environments.items() if env.promotes_from]
    if PROMOTE_WORKFLOW in shipped:
        for name, source in promoted:
            text = rename_words(shipped[PROMOTE_WORKFLOW], {TEMPLATE_ENVIRONMENT: source, TEMPLATE_PROMOTED: name})
            if len(promoted) == 1:
                files[PROMOTE_WORKFLOW] = text
            else:
                files[f"promote-{name}.yml"] = text.replace("\nname: promote\n", f"\nname: promote-{name}\n", 1)
    return files


def is_own_file(path, project_dir):
    """A file a repository may well have of its own (a CI workflow, the maskfile): kept when it differs from
    ecsenv's, where Terraform code that differs refuses the scaffold."""
    relative = os.path.relpath(path, project_dir)
    return relative == layout.MASKFILE or relative.startswith(layout.WORKFLOWS_DIR + os.sep)


def planned_files(config, project_dir):
    """The stack as render.PlannedFile (create / unchanged / foreign: exists and differs), and the .gitignore lines
    it needs (create, or update: lines added at its end), nothing written."""
    from bootstrap.project import files as project_files
    from bootstrap.project import render

    planned = [render.plan_file(path, text, project_dir)
               for path, text in plan_stack(config, project_dir).files.items()]
    path = os.path.join(project_dir, GITIGNORE)
    current = project_files.read_text(path, project_dir)
    present = {line.strip() for line in (current or "").splitlines()}
    missing = [line for line in IGNORED if line not in present and line.rstrip("/") not in present]
    if missing:
        added = "# Terraform's working files (added by `ecsenv init --scaffold`)\n" + "".join(f"{line}\n"
                                                                                          for line in missing)
        if current is None:
            planned.append(render.PlannedFile(path, added, render.CREATE, None, project_dir))
        else:
            text = current + ("" if current.endswith("\n") or not current else "\n") + added
            planned.append(render.PlannedFile(path, text, render.UPDATE, current, project_dir))
    return planned


def check_conflicts(planned, project_dir):
    """Refuse (UserError, nothing written) when Terraform code the stack would write exists and differs: ecsenv
    never overwrites a file it did not write, and a half-ecsenv stack would not plan."""
    from bootstrap.project import render

    differing = [os.path.relpath(item.path, project_dir) for item in planned
                 if item.status not in (render.UNCHANGED, render.CREATE, render.UPDATE)
                 and not is_own_file(item.path, project_dir)]
    if differing:
        shown = ", ".join(differing[:5]) + (f" and {len(differing) - 5} more" if len(differing) > 5 else "")
        verb = "exists and differs" if len(differing) == 1 else "exist and differ"
        raise UserError(f"--scaffold: {shown} already {verb} from ecsenv's stack, which is written only where no "
                        "Terraform code is (nothing was changed). "
                        "Run without --scaffold to keep your own code, or move those files aside")


def write(planned):
    """Write the files to create, and the lines .gitignore lacks; no other existing file is touched. Returns
    `planned`."""
    from bootstrap.project import render

    render.write_planned([item for item in planned if item.status in (render.CREATE, render.UPDATE)])
    return planned
