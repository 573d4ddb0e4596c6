"""What `secret set` accepts from a pipe: UTF-8 text of at most 65536 bytes (Secrets Manager's SecretString limit).
Anything else is one line, exit 2, with the value never in the message."""

import io

import pytest

from bootstrap.ecs import secrets
from bootstrap.errors import UserError


class Piped(io.TextIOWrapper):
    """sys.stdin as a pipe gives it: text on top of bytes (.buffer), which may not be UTF-8."""


def piped(data):
    return Piped(io.BytesIO(data), encoding="utf-8")


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe s3cr3t", "not UTF-8 text (binary data?)"),
    (b"abc\0s3cr3t", "contains a NUL byte, so it is binary"),
    (b"x" * 65537, "longer than Secrets Manager's 65536 bytes"),
    (b"x" * 70000 + b"\n", "longer than Secrets Manager's 65536 bytes"),
    ("é".encode() * 32769, "longer than Secrets Manager's 65536 bytes"),  # 32769 characters, 65538 bytes
    (b"", "no secret value on standard input"),
    (b"\n", "no secret value on standard input"),
])
def test_bad_values_are_refused_without_quoting_them(data, message):
    with pytest.raises(UserError) as raised:
        secrets.read_value(piped(data), is_tty=False)
    assert message in str(raised.value) and "s3cr3t" not in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("data, value", [
    (b"x" * 65536, "x" * 65536),
    (b"x" * 65536 + b"\n", "x" * 65536),
    (b"x" * 65536 + b"\r\n", "x" * 65536),
    ("pässwörd\n".encode(), "pässwörd"),
])
def test_values_up_to_the_limit_are_accepted(data, value):
    assert secrets.read_value(piped(data), is_tty=False) == value
