"""When `plan` must run `terraform init` again (bootstrap/lifecycle/init_inputs.py): pure, on files written here."""

import pytest

from bootstrap.lifecycle import init_inputs

MAIN = """\
terraform {
  backend "s3" {}
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

module "app" {
  source = "../../modules/app"
}

resource "terraform_data" "a" {
  input = "one"
}
"""


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "environments" / "qa"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(MAIN)
    (root / "backend.s3.tfbackend").write_text('bucket = "b"\nkey = "qa/terraform.tfstate"\n')
    app = tmp_path / "modules" / "app"
    app.mkdir(parents=True)
    (app / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    return root


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_what_init_does_not_read_changes_nothing(root):
    before = init_inputs.fingerprint(root)
    edit(root / "main.tf", 'input = "one"', 'input = "two"')
    (root / "outputs.tf").write_text('output "x" {\n  value = 1\n}\n')
    edit(root.parent.parent / "modules" / "app" / "main.tf", "{}", '{\n  input = "y"\n}')
    assert init_inputs.fingerprint(root) == before


@pytest.mark.parametrize("change", ["a module added in a local module", "a module source", "a provider version",
                                    "the lock file", "the backend file", "the backend options",
                                    "a file that does not parse"])
def test_what_init_reads_changes_the_fingerprint(root, change):
    before = init_inputs.fingerprint(root)
    options = ()
    if change == "a module added in a local module":
        (root.parent.parent / "modules" / "app" / "more.tf").write_text('module "db" {\n  source = "../db"\n}\n')
    elif change == "a module source":
        edit(root / "main.tf", "../../modules/app", "git::https://example.invalid/app.git?ref=v2")
    elif change == "a provider version":
        edit(root / "main.tf", "5.100.0", "6.0.0")
    elif change == "the lock file":
        (root / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/hashicorp/aws" {}\n')
    elif change == "the backend file":
        edit(root / "backend.s3.tfbackend", "qa/", "prod/")
    elif change == "the backend options":
        options = ("use_path_style=true",)
    else:
        (root / "broken.tf").write_text('module "x" {\n')
    assert init_inputs.fingerprint(root, options) != before


def test_a_failed_init_leaves_no_record_so_the_next_plan_initialises(root):
    data_dir = root / ".terraform"
    data_dir.mkdir()
    (data_dir / init_inputs.BACKEND_STATE).write_text("{}")
    assert init_inputs.recorded(data_dir) is None  # .terraform/ exists, but no init finished
    init_inputs.record(data_dir, "abc")
    assert init_inputs.recorded(data_dir) == "abc"
    init_inputs.forget(data_dir)  # what init does first
    assert init_inputs.recorded(data_dir) is None


def test_the_record_lives_in_terraforms_data_directory(root):
    assert init_inputs.data_dir(str(root), {}) == str(root / ".terraform")
    assert init_inputs.data_dir(str(root), {"TF_DATA_DIR": "tfdata"}) == str(root / "tfdata")
    assert init_inputs.data_dir(str(root), {"TF_DATA_DIR": "/var/tf/qa"}) == "/var/tf/qa"
