"""`ecsenv check` logic: a clean project has no findings; each kind of problem is found at its file and line."""

import textwrap

import pytest

from bootstrap.errors import UserError
from bootstrap.project import render
from bootstrap.project.checks import run_checks
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig
from bootstrap.project.findings import Finding

CONFIG = ProjectConfig(
    project="acme",
    state=StateConfig(account_id="123456789012", region="us-east-1", bucket="acme-tfstate-123456789012",
                      locking="both", lock_table="acme-tfstate-lock"),
    environments={
        "staging": EnvironmentConfig(account_id="123456789012", region="us-east-1"),
        "production": EnvironmentConfig(account_id="123456789012", region="us-east-1", promotes_from="staging"),
    },
)

MODULE = """\
variable "name" {
  type = string
}

variable "image" {}

variable "desired_count" {
  type    = number
  default = 1
}
"""

ROOT_HEAD = """\
terraform {
  backend "s3" {}
}

"""


def call(extra=""):
    # the module block starts at line 5 of main.tf (after ROOT_HEAD); the same in every root, as roots must be
    return ROOT_HEAD + textwrap.dedent(f"""\
        module "deployment" {{
          source = "../../modules/deployment"
          name   = var.name
          image  = var.image
        {extra}}}
        """)


def write(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(tmp_path):
    """A clean project: one module, two environments calling it alike, global_aws, backend configs as rendered."""
    write(tmp_path, {
        "modules/deployment/variables.tf": MODULE,
        "environments/global_aws/main.tf": ROOT_HEAD,
        "environments/staging/main.tf": call(),
        "environments/production/main.tf": call(),
    })
    for path, text in render.backend_files(CONFIG, str(tmp_path)).items():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return tmp_path


DIFFERS = ("environment roots are the same code and differ only in their data (env.auto.tfvars, ecsenv.auto.tfvars, "
           "backend files): make the change in every root, or move the per-environment value into env.auto.tfvars")


def messages(findings):
    return [str(finding) for finding in findings]


def test_clean_project_has_no_findings(project):
    assert run_checks(str(project), CONFIG) == []
    assert run_checks(str(project)) == []


def test_finding_str_is_file_line_message():
    assert str(Finding("a/b.tf", 3, "missing-argument", "boom")) == "a/b.tf:3: boom"


def test_missing_required_argument(project):
    for environment in ("staging", "production"):
        write(project, {f"environments/{environment}/main.tf": call().replace("  image  = var.image\n", "")})
    assert [(f.kind, str(f)) for f in run_checks(str(project), CONFIG)] == [
        ("missing-argument", f'environments/{environment}/main.tf:5: module "deployment" (source '
                             '"../../modules/deployment") does not pass "image", which module modules/deployment '
                             "requires (its variable has no default)")
        for environment in ("production", "staging")]


def test_optional_variable_may_be_omitted_and_meta_arguments_are_not_variables(project):
    for environment in ("staging", "production"):
        write(project, {f"environments/{environment}/main.tf": call("  count = 1\n  depends_on = []\n")})
    assert run_checks(str(project), CONFIG) == []


def test_module_calling_a_module_is_checked_too(project):
    write(project, {"modules/app/main.tf": 'module "inner" {\n  source = "../deployment"\n  name = "x"\n}\n'})
    assert messages(run_checks(str(project), CONFIG)) == [
        'modules/app/main.tf:1: module "inner" (source "../deployment") does not pass "image", which module '
        "modules/deployment requires (its variable has no default)"]


def test_unknown_argument_and_missing_module(project):
    write(project, {"environments/global_aws/main.tf": ROOT_HEAD + textwrap.dedent("""\
        module "other" {
          source = "../../modules/nope"
        }

        module "registry" {
          source = "terraform-aws-modules/vpc/aws"
        }

        module "typo" {
          source = "../../modules/deployment"
          name   = "x"
          image  = "y"
          imagee = "z"
        }
        """)})
    assert messages(run_checks(str(project), CONFIG)) == [
        'environments/global_aws/main.tf:5: module "other" (source "../../modules/nope"): module directory '
        "modules/nope does not exist",
        'environments/global_aws/main.tf:13: module "typo" (source "../../modules/deployment") passes "imagee", '
        "which module modules/deployment declares no variable for",
    ]


def test_environment_with_a_different_argument_set(project):
    # two environments: no majority, so each is reported against the other (only a person knows which is right)
    write(project, {"modules/deployment/variables.tf": MODULE + 'variable "debug" {\n  default = false\n}\n',
                    "environments/production/main.tf": call("  debug = true\n  desired_count = 3\n")})
    assert [(f.kind, str(f)) for f in run_checks(str(project), CONFIG)] == [
        ("inconsistent-arguments", 'environments/production/main.tf:5: environment production passes different '
                                   'arguments to module "deployment" than staging (extra: debug, desired_count)'),
        ("root-differs", f"environments/production/main.tf:5: main.tf in production is not the same as in staging: "
                         f"{DIFFERS}"),
        ("inconsistent-arguments", 'environments/staging/main.tf:5: environment staging passes different '
                                   'arguments to module "deployment" than production (missing: debug, desired_count)'),
    ]


def test_missing_and_extra_against_the_majority(project):
    write(project, {"environments/qa/main.tf": call(),
                    "environments/production/main.tf": call("  desired_count = 3\n").replace(
                        "  name   = var.name\n", "")})
    findings = [f for f in run_checks(str(project), CONFIG) if f.kind == "inconsistent-arguments"]
    assert messages(findings) == [
        'environments/production/main.tf:5: environment production passes different arguments to module '
        '"deployment" than staging, qa (missing: name; extra: desired_count)']


def test_the_majority_is_the_reference(project):
    write(project, {"environments/qa/main.tf": call("  desired_count = 1\n"),
                    "environments/production/main.tf": call("  desired_count = 2\n")})
    config = ProjectConfig(CONFIG.project, CONFIG.state,
                           {**CONFIG.environments, "qa": EnvironmentConfig("123456789012", "us-east-1")})
    for path, text in render.backend_files(config, str(project)).items():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    assert messages(run_checks(str(project), config)) == [
        f"environments/production/main.tf:5: main.tf in production is not the same as in staging: {DIFFERS}",
        f"environments/qa/main.tf:5: main.tf in qa is not the same as in staging: {DIFFERS}",
        'environments/staging/main.tf:5: environment staging passes different arguments to module "deployment" '
        "than production, qa (missing: desired_count)"]


def test_backend_config_with_other_settings(project):
    path = project / "environments/production/backend.s3.tfbackend"
    text = path.read_text()
    assert text.splitlines()[2].startswith("bucket ")  # line 3, after the two header lines
    path.write_text(text.replace("acme-tfstate-123456789012", "other-bucket")
                    .replace('"production/terraform.tfstate"', '"staging/terraform.tfstate"')
                    .replace("use_lockfile   = true\n", "") + 'profile = "x"\n')
    assert messages(run_checks(str(project), CONFIG)) == [
        'environments/production/backend.s3.tfbackend:1: use_lockfile is not set; ecsenv.yaml implies '
        "use_lockfile = true",
        'environments/production/backend.s3.tfbackend:3: bucket = "other-bucket", but ecsenv.yaml implies '
        'bucket = "acme-tfstate-123456789012"',
        'environments/production/backend.s3.tfbackend:4: key = "staging/terraform.tfstate", but ecsenv.yaml '
        'implies key = "production/terraform.tfstate"',
        'environments/production/backend.s3.tfbackend:8: profile is set, but ecsenv.yaml implies no profile',
    ]
    assert {f.kind for f in run_checks(str(project), CONFIG)} == {"backend-config"}
    assert run_checks(str(project)) == []  # no config: no backend checks


def test_backend_config_comments_and_layout_do_not_matter(project):
    path = project / "environments/staging/backend.s3.tfbackend"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    path.write_text("# mine\n" + "\n".join(" = ".join(part.strip() for part in line.split("=", 1))
                                           for line in reversed(lines)) + "\n")
    assert run_checks(str(project), CONFIG) == []


def test_missing_backend_config(project):
    (project / "environments/global_aws/backend.s3.tfbackend").unlink()
    findings = run_checks(str(project), CONFIG)
    assert [(f.kind, str(f)) for f in findings] == [
        ("backend-config", "environments/global_aws/backend.s3.tfbackend:1: missing: environment global_aws has no "
                           "backend config (`ecsenv render` writes it from ecsenv.yaml)")]


def test_environment_root_without_s3_backend(project):
    write(project, {
        "environments/staging/main.tf": call().replace('  backend "s3" {}\n', '  required_version = "1"\n'),
        "environments/production/main.tf": call().replace('backend "s3"', 'backend "local"'),
        "environments/global_aws/main.tf": "# nothing here yet\n",
        "environments/global_aws/versions.tf": 'provider "aws" {}\n',
    })
    assert messages(run_checks(str(project), CONFIG)) == [
        'environments/global_aws/main.tf:1: environment global_aws declares no backend "s3" (add `backend "s3" {}` '
        "to a terraform block): its state would stay on local disk",
        'environments/production/main.tf:1: environment production declares backend "local", not "s3": its '
        "backend.s3.tfbackend is not used",
        f"environments/production/main.tf:2: main.tf in production is not the same as in staging: {DIFFERS}",
        'environments/staging/main.tf:1: environment staging declares no backend "s3" (add `backend "s3" {}` to a '
        "terraform block): its state would stay on local disk",
    ]


def test_backend_declared_in_any_file_of_the_root(project):
    for environment in ("staging", "production"):
        write(project, {f"environments/{environment}/main.tf": call().replace(ROOT_HEAD, "terraform {}\n"),
                        f"environments/{environment}/backend.tf": ROOT_HEAD})
    assert run_checks(str(project), CONFIG) == []


@pytest.mark.parametrize("relative, text, line", [
    ("environments/staging/main.tf", 'module "deployment" {\n  source = "x"\n  name = \n}\n', 3),
    ("environments/staging/main.tf", 'module "deployment" {\n  source = "x"\n', 3),
    ("modules/deployment/variables.tf", 'variable "a" {}\nvariable "b" {\n  default = "open\n}\n', 3),
    ("environments/production/backend.s3.tfbackend", 'bucket = "a"\nkey = = "b"\n', 2),
])
def test_unparseable_hcl_is_a_user_error_with_file_and_line(project, relative, text, line):
    write(project, {relative: text})
    with pytest.raises(UserError) as caught:
        run_checks(str(project), CONFIG)
    message = str(caught.value)
    assert message.startswith(f"{relative}:{line}: not valid HCL: ")
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_empty_project_has_no_findings(tmp_path):
    assert run_checks(str(tmp_path)) == []


def test_check_command_prints_findings_and_exits_3_then_0_when_fixed(project, capsys, monkeypatch):
    from bootstrap.cli import main
    from bootstrap.project.config import save_config

    monkeypatch.chdir(project)
    save_config(CONFIG, str(project / "ecsenv.yaml"))
    assert main(["check"]) == 0
    assert "Clean: no findings." in capsys.readouterr().out

    main_tf = project / "environments" / "production" / "main.tf"
    main_tf.write_text(main_tf.read_text().replace("  image  = var.image\n", ""))
    assert main(["check"]) == 3
    out = capsys.readouterr().out
    assert 'environments/production/main.tf:5: module "deployment"' in out and '"image"' in out
    assert main(["check", "--json"]) == 3
    kinds = {finding["kind"] for finding in __import__("json").loads(capsys.readouterr().out)}
    assert {"missing-argument", "inconsistent-arguments"} <= kinds


def test_check_command_on_unparseable_hcl_exits_2_naming_file_and_line(project, capsys, monkeypatch):
    from bootstrap.cli import main

    monkeypatch.chdir(project)
    (project / "environments" / "staging" / "main.tf").write_text('terraform {\n  backend "s3" {}\n}}\n')
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "environments/staging/main.tf:3" in err and len(err.strip().splitlines()) == 1


def test_an_emptied_environment_root_is_a_finding(project):
    # FIELD-REPORT 4.10: a team retired an environment by deleting its module call; its next apply destroys it
    write(project, {"environments/staging/main.tf": ROOT_HEAD + 'provider "aws" {}\n'})
    findings = [f for f in run_checks(str(project), CONFIG) if f.kind == "missing-deployment"]
    assert messages(findings) == [
        'environments/staging/main.tf:1: environment staging has no module "deployment" call: applying it destroys '
        "what the environment had. To retire it, `ecsenv env remove staging`; otherwise restore the call"]
    write(project, {"environments/global_aws/main.tf": ROOT_HEAD})
    assert [f.path for f in run_checks(str(project), CONFIG) if f.kind == "missing-deployment"] == [
        "environments/staging/main.tf"], "global_aws has no deployment call by design"
