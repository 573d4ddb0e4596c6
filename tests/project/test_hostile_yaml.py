"""ecsenv.yaml and answers files from anywhere: aliases, duplicate keys, odd keys and wrong types are one
`file:line: ...` error (exit 2), at once; and, for any text at all, the loader either loads it or says so that way."""

import re
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bootstrap.errors import UserError
from bootstrap.project.answers import load_answers
from bootstrap.project.config_reader import load_config

GOOD = """\
project: acme
state:
  account_id: '123456789012'
  region: us-east-1
  bucket: acme-tfstate-123456789012
  locking: lockfile
  tags:
    team: platform
environments:
  staging: {}
  production:
    promotes_from: staging
"""

# Nine levels of nine references: 9**9 (387 million) leaves if aliases were followed. 356 bytes.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))


def load_error(tmp_path, text, loader=load_config, name="ecsenv.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(UserError) as raised:
        loader(str(path))
    message = str(raised.value)
    assert message.startswith(f"{path}:") and "\n" not in message
    return message[len(str(path)):]


def test_the_good_config_loads(tmp_path):
    (tmp_path / "ecsenv.yaml").write_text(GOOD)
    config = load_config(str(tmp_path / "ecsenv.yaml"))
    assert config.environments["production"].promotes_from == "staging"


@pytest.mark.parametrize("loader", [load_config, load_answers])
def test_an_alias_bomb_is_refused_within_a_second(tmp_path, loader):
    started = time.monotonic()
    message = load_error(tmp_path, ALIAS_BOMB, loader)
    assert time.monotonic() - started < 1.0
    assert message.startswith(":1: YAML anchors (&a) are not allowed")


def test_an_alias_bomb_in_ecsenv_yaml_stops_every_command_at_once(tmp_path):
    (tmp_path / "ecsenv.yaml").write_text(ALIAS_BOMB)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bootstrap", "-C", str(tmp_path), "env", "list"],
                            capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 10  # the interpreter's start-up included; the bomb itself takes ms
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "ecsenv.yaml:1: YAML anchors (&a) are not allowed" in result.stderr


def test_an_alias_without_an_anchor_is_refused_too(tmp_path):
    assert load_error(tmp_path, GOOD + "x: *nothing\n") == (
        ":13: YAML aliases (*nothing) are not allowed: write the value out")
    assert load_error(tmp_path, GOOD.replace("staging: {}", "staging: &s {}")).startswith(":10: YAML anchors")


def test_a_duplicate_key_names_both_lines(tmp_path):
    assert load_error(tmp_path, GOOD + "project: other\n") == ":13: duplicate key 'project' (first on line 1)"


def test_a_duplicate_key_in_an_answers_file_is_refused(tmp_path):
    message = load_error(tmp_path, "project: acme\nregion: us-east-1\nproject: other\n", load_answers, "a.yaml")
    assert message == ":3: duplicate key 'project' (first on line 1)"


def test_a_nested_duplicate_key_names_its_path(tmp_path):
    message = load_error(tmp_path, GOOD.replace("  locking: lockfile\n", "  locking: lockfile\n  region: eu-west-1\n"))
    assert message == ":7: duplicate key 'state.region' (first on line 4)"


def test_a_nul_byte_is_one_line_with_its_line_number(tmp_path):
    assert load_error(tmp_path, GOOD.replace("team: platform", "team: plat\0form")) == (
        ":8: not valid YAML: the character #x0000 is not allowed in YAML text")


def test_non_utf8_text_is_one_line_with_its_line_number(tmp_path):
    assert load_error(tmp_path, GOOD.encode() + b"x: \xff\n") == ":13: not UTF-8 text (byte 0xff)"


@pytest.mark.parametrize("key, kind", [("123", "a number"), ("yes", "true/false"), ("~", "null"), ("1.5", "a number")])
def test_keys_that_are_not_strings_say_so(tmp_path, key, kind):
    message = load_error(tmp_path, GOOD + f"  {key}: {{}}\n")
    assert message == f":13: key {key!r} is read as {kind}, not a name: quote it ('{key}')"


def test_a_quoted_numeric_key_is_just_a_bad_environment_name(tmp_path):
    assert "environment name '123'" in load_error(tmp_path, GOOD + "  '123': {}\n")


@pytest.mark.parametrize("replace, expected", [
    (("promotes_from: staging", "promotes_from: [staging]"),
     ":12: 'environments.production.promotes_from' must be the name of one environment, not a list"),
    (("promotes_from: staging", "promotes_from: {a: b}"),
     ":12: 'environments.production.promotes_from' must be the name of one environment, not a mapping"),
    (("bucket: acme-tfstate-123456789012", "bucket: {a: 1}"), ":5: 'state.bucket' must be a string, not a mapping"),
    (("region: us-east-1", "region: [us-east-1]"), ":4: 'state.region' must be a string, not a list"),
    (("project: acme", "project: [acme]"), ":1: 'project' must be a string, not a list"),
    (("staging: {}", "staging: [1]"), ":10: 'environments.staging' must be a mapping, not a list"),
    (("locking: lockfile", "locking: lockfile\n  lock_table: [a]"), ":7: 'state.lock_table' must be a string"),
    (("region: us-east-1", "region: !!binary dXMtZWFzdC0x"), ":4: 'state.region' must be a string, not binary data"),
    (("region: us-east-1", "region: !!python/name:os.system"), ":4: not valid YAML: could not determine a constructor"),
    (("project: acme", "project: !!timestamp 2024-13-45"), ":1: cannot read this value (month must be in 1..12)"),
    (("promotes_from: staging", "promotes_from: production"),
     ":12: environment 'production' cannot promote from itself"),
    (("team: platform", "'a{b}': x"), ":8: tag key 'a{b}' contains '{'"),
    (("team: platform", "'aws:team': x"), ":8: tag key 'aws:team' uses the reserved prefix 'aws:'"),
    (("team: platform", "team: [a]"), ":8: tag 'team' must have a string value"),
])
def test_wrong_types_and_values_name_file_line_and_key(tmp_path, replace, expected):
    assert load_error(tmp_path, GOOD.replace(*replace)).startswith(expected)


def test_a_section_of_the_wrong_type_is_named(tmp_path):
    assert load_error(tmp_path, "project: acme\nstate: 3\n") == ":2: 'state' must be a mapping, not a number"
    state = GOOD.split("environments:")[0]
    assert load_error(tmp_path, state + "environments: [a]\n") == (
        ":9: 'environments' must be a mapping of name: settings, not a list")


def test_a_date_like_value_stays_a_string(tmp_path):
    """No setting is a timestamp: `2024-01-01` is text (and here a bad project name), not a date object."""
    assert "project name '2024-01-01'" in load_error(tmp_path, GOOD.replace("project: acme", "project: 2024-01-01"))


def test_fifty_one_tags_are_refused(tmp_path):
    text = GOOD.replace("    team: platform\n", "".join(f"    t{i}: v\n" for i in range(51)))
    assert load_error(tmp_path, text) == ":7: 51 tags given; S3 and DynamoDB allow at most 50"


def test_a_merge_key_is_refused(tmp_path):
    assert "merges" in load_error(tmp_path, GOOD + "<<: {x: 1}\n")


def test_deep_nesting_is_one_line(tmp_path):
    assert "nested too deeply" in load_error(tmp_path, "project: " + "[" * 5000 + "]" * 5000 + "\n")


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path):
    assert "larger than 1024 KiB" in load_error(tmp_path, GOOD + "#" * (1 << 20) + "\n")


def test_answers_file_promotes_from_list_is_one_line(tmp_path):
    text = "project: acme\nenvironments:\n  staging: {}\n  production: {promotes_from: [staging]}\n"
    message = load_error(tmp_path, text, load_answers, "a.yaml")
    assert message == ":4: 'environments.production.promotes_from' must be the name of one environment, not a list"


def test_answers_file_environment_listed_twice(tmp_path):
    assert load_error(tmp_path, "environments: [dev, dev]\n", load_answers, "a.yaml") == (
        ":1: environment 'dev' is listed twice")


# ------------------------------------------------------------------ any text at all

YAMLISH = st.lists(st.one_of(
    st.sampled_from(["project: acme", "state:", "  account_id: '123456789012'", "  region: us-east-1",
                     "  bucket: acme-tfstate-123456789012", "  locking: both", "  lock_table: acme-lock",
                     "  tags:", "    a: b", "environments:", "  staging: {}", "  production:",
                     "    promotes_from: staging", "- x", "&a [1]", "*a", "<<: {}", "? [a]", ": x", "!!binary x",
                     "!!python/object:os.system", "'", '"\\x00"', "{a: [", "]}", "  ", "\t", "---", "...", "%YAML 1.1",
                     "123:", "yes:", "null:", "2024-13-45", "0x1F", "1e400", "~", "|", ">-", "#"]),
    st.text(max_size=20)), max_size=25).map("\n".join)


def _loads_or_says_where(tmp_path, text):
    path = tmp_path / "ecsenv.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(str(path))
    except UserError as exc:
        assert re.match(re.escape(str(path)) + r":\d+: \S", str(exc)), str(exc)
        assert "\n" not in str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(YAMLISH, st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)))
def test_any_text_loads_or_is_a_file_line_error(tmp_path, text):
    _loads_or_says_where(tmp_path, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.integers(0, 12), max_size=8), junk=st.sampled_from(["[", "{", ": :", "&x", "*x", "\0", "\x85",
                                                                                "\ufeff", "'", "- - -", "!!set"]))
def test_the_good_config_with_junk_spliced_in(tmp_path, lines, junk):
    rows = GOOD.splitlines()
    for index in lines:
        rows.insert(min(index, len(rows)), junk if index % 2 else rows[min(index, len(rows) - 1)])
    _loads_or_says_where(tmp_path, "\n".join(rows) + "\n")
