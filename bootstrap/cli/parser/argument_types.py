"""Argument types: each turns a command-line word into a value or refuses it in one line."""

import argparse
import math
import re


def image_tag(text):
    """A commit as an image tag: what ECR accepts in a tag (letters, digits, . _ -), at most 128 characters."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a commit SHA / image tag (letters, digits, . _ -)")
    return text


def commit_ref(text):
    """A commit as the user names it: a SHA, a prefix, or a git ref (resolved with git before anything happens).
    Only what cannot be a ref is refused here (an option-like or blank value, whitespace, control characters)."""
    if not text or text.startswith("-") or len(text) > 256 or any(c.isspace() or ord(c) < 32 for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a commit (a SHA, a prefix of at least 7 characters, or a "
                                         "git ref such as HEAD or a tag)")
    return text


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def positive_int(text):
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def since(text):
    """How far back: a duration (`90s`, `15m`, `2h`, `1d`) as a timedelta, or an ISO 8601 time (UTC unless it says
    otherwise) as an aware datetime."""
    import datetime

    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if match and int(match.group(1)) > 0:
        return datetime.timedelta(seconds=int(match.group(1)) * DURATION_UNITS[match.group(2)])
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a duration (90s, 15m, 2h, 1d) nor an ISO 8601 "
                                         "time (2026-05-01T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def command_line(text):
    from bootstrap.project.validation import command_line as problem

    if problem(text):
        raise argparse.ArgumentTypeError(problem(text))
    return text


def checked(validator):
    """An argparse type from a bootstrap.project.validation rule (None when fine, else the problem)."""
    def check(text):
        problem = validator(text)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return text
    check.__name__ = validator.__name__
    return check


def service_name(text):
    from bootstrap.project import validation  # light: re and ipaddress

    return checked(validation.service_name)(text)


def secret_name(text):
    from bootstrap.project import validation

    return checked(validation.secret_name)(text)


def lock_timeout(text):
    """terraform's -lock-timeout: a number and a unit."""
    if not re.fullmatch(r"\d+(ms|s|m|h)", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s or 5m")
    return text
