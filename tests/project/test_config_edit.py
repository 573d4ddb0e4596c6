"""ecsenv.yaml is edited, not re-dumped: `env add` and `env remove` keep the person's comments, blank lines, quoting
and order (FIELD-REPORT 4.8), and an edit is checked with the normal loader before anything is written.

Project, environment names, region and account appear nowhere else in the repository."""

import pytest

from bootstrap.cli import main
from bootstrap.errors import OperationFailed
from bootstrap.project import yamledit
from bootstrap.project.config import EnvironmentConfig
from bootstrap.project.config_edits import edited_text
from bootstrap.project.config_reader import load_config

ACCOUNT = "480912376655"
CONFIG = f"""\
# Heron's ecsenv settings. Edit freely; `ecsenv env add` keeps this comment.
project: heron

state:
  account_id: '{ACCOUNT}'   # the tooling account
  region: mx-central-1
  bucket: heron-tfstate-{ACCOUNT}
  locking: lockfile

# Promotion order matters: each environment after the one it promotes from.
environments:
  osprey:          # the first stop for every change
    region: mx-central-1

  harrier:
    region: mx-central-1
    promotes_from: osprey   # only what osprey ran
# nothing below is ecsenv's
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ecsenv.yaml").write_text(CONFIG)
    return tmp_path


def test_add_then_remove_gives_back_the_file_byte_for_byte(project, capsys):
    assert main(["env", "add", "kestrel", "--region", "il-central-1", "--promotes-from", "harrier"]) == 0, \
        capsys.readouterr().err
    text = (project / "ecsenv.yaml").read_text()
    added = ("    promotes_from: osprey   # only what osprey ran\n"
             "  kestrel:\n"
             f"    account_id: '{ACCOUNT}'\n"
             "    region: il-central-1\n"
             "    promotes_from: harrier\n"
             "# nothing below is ecsenv's\n")
    assert text == CONFIG.replace("    promotes_from: osprey   # only what osprey ran\n# nothing below is ecsenv's\n",
                                  added)
    config = load_config(str(project / "ecsenv.yaml"))
    assert config.environments["kestrel"] == EnvironmentConfig(ACCOUNT, "il-central-1", promotes_from="harrier")

    assert yamledit.remove_environment(text, "kestrel") == CONFIG


def test_removing_an_environment_takes_out_only_its_lines():
    text = yamledit.remove_environment(CONFIG, "harrier")
    harrier = "  harrier:\n    region: mx-central-1\n    promotes_from: osprey   # only what osprey ran\n"
    assert text == CONFIG.replace(harrier, "")
    assert "# the first stop for every change" in text and "# nothing below is ecsenv's" in text


def test_the_file_s_own_indentation_is_followed():
    text = "project: heron\nenvironments:\n    osprey:\n        region: mx-central-1\n"
    assert yamledit.add_environment(text, "kestrel", {"region": "il-central-1"}) == (
        text + "    kestrel:\n        region: il-central-1\n")


@pytest.mark.parametrize("before, after", [
    ("project: heron\nenvironments: {}  # none yet\n",
     "project: heron\nenvironments:  # none yet\n  kestrel:\n    region: il-central-1\n"),
    ("project: heron\nenvironments:\n",
     "project: heron\nenvironments:\n  kestrel:\n    region: il-central-1\n"),
    ("project: heron\n", "project: heron\nenvironments:\n  kestrel:\n    region: il-central-1\n"),
    ("project: heron\nenvironments: {osprey: {region: mx-central-1}}\n",
     "project: heron\nenvironments:\n  osprey:\n    region: mx-central-1\n  kestrel:\n    region: il-central-1\n"),
])
def test_an_empty_or_flow_style_environments_becomes_a_block(before, after):
    assert yamledit.add_environment(before, "kestrel", {"region": "il-central-1"}) == after


def test_names_and_ids_yaml_would_misread_are_quoted():
    text = yamledit.add_environment("environments:\n  osprey: {}\n", "no", {"account_id": "012345678901"})
    assert text == "environments:\n  osprey: {}\n  'no':\n    account_id: '012345678901'\n"


def test_an_edit_the_loader_would_read_otherwise_is_refused_and_nothing_is_written(project):
    path = str(project / "ecsenv.yaml")
    config = load_config(path)
    with pytest.raises(OperationFailed, match="nothing was written"):
        edited_text(path, lambda text: text.replace("region: mx-central-1\n\n", "region: [\n"), config)
    with pytest.raises(OperationFailed, match="would not give the intended settings"):
        edited_text(path, lambda text: text.replace("lockfile", "both\n  lock_table: heron-locks"), config)
    assert (project / "ecsenv.yaml").read_text() == CONFIG
