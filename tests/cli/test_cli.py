"""The command line itself: help, usage errors, and start-up staying light."""

import subprocess
import sys

from bootstrap.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "bootstrap", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_help_explains_commands_and_exit_codes():
    result = run("--help")
    assert result.returncode == 0
    for text in ("init", "local", "--local", "--profile", "--region", "exit codes", "AWS_ENDPOINT_URL"):
        assert text in result.stdout


def test_init_help_names_the_answers_keys_and_modes():
    result = run("init", "--help")
    assert result.returncode == 0
    for text in ("--answers", "--yes", "--plan", "lock_table", "kms_key_id", "Exit 3"):
        assert text in result.stdout


def test_help_does_not_import_the_heavy_libraries():
    code = ("import sys\nfrom bootstrap.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('boto3', 'botocore', 'questionary', 'jinja2', 'yaml') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: ecsenv" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error():
    result = run("bogus")
    assert result.returncode == 2 and "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("ecsenv ")
