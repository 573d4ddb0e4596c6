"""The `ecsenv init` questions, as data, and the one place that asks them (questionary).

Each question knows its default (computed from the answers so far and the previous ecsenv.yaml), how to parse and
validate typed text, and whether a CI run may leave it out. The Wizard fills answers from, in order: what was given
(answers file, flags), a prompt on a terminal, or the default when --yes is given; a non-interactive run with a
required answer missing fails with every missing key named before any AWS call is made.
"""

import os
import re
from dataclasses import dataclass
from typing import Any, Callable

from bootstrap.errors import UserError
from bootstrap.project import answers as answer_rules

SSE_S3, SSE_KMS = "SSE-S3", "SSE-KMS"


@dataclass(frozen=True)
class Question:
    key: str
    message: str
    kind: str = "text"  # text | select | confirm
    default: Callable[[dict], Any] = lambda answers: None
    choices: Callable[[dict], list] | None = None  # select: list of (title, value)
    parse: Callable[[str], Any] = lambda text: text.strip()
    show: Callable[[Any], str] = lambda value: "" if value is None else str(value)
    when: Callable[[dict], bool] = lambda answers: True
    optional: bool = False  # may be left out of a non-interactive run: its default applies
    interactive_only: bool = False  # not an answers-file key: derived from other answers when not asked


def _default_project(project_dir):
    """The project directory's name, made valid; "myproject" when nothing usable is left."""
    name = re.sub(r"[^a-z0-9-]+", "-", os.path.basename(os.path.abspath(project_dir)).lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[: answer_rules.validation.PROJECT_MAX].rstrip("-")
    return name if not answer_rules.problem("project", name) else "myproject"


def _profile_choices(answers):
    from bootstrap.aws import available_profiles

    return [(name, name) for name in available_profiles()]


def _default_profile(answers):
    names = [value for _, value in _profile_choices(answers)]
    for candidate in (os.environ.get("AWS_PROFILE"), "default"):
        if candidate in names:
            return candidate
    return names[0] if names else None


def _default_region(answers):
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _parse_tags(text):
    tags = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"tag {item!r} must be written key=value")
        tags[key.strip()] = value.strip()
    return tags


def _show_tags(tags):
    return ", ".join(f"{key}={value}" for key, value in (tags or {}).items())


def _show_environments(environments):
    return ", ".join(environments or {})


def connection_questions(previous, project_dir="."):
    """Asked before the first AWS call: who we are and where."""
    return [
        Question("project", "Project name (lowercase; names the bucket, table and tags):",
                 default=lambda a: previous.get("project") or _default_project(project_dir)),
        Question("profile", "AWS profile:", kind="select", choices=_profile_choices, default=_default_profile,
                 when=lambda a: bool(_profile_choices(a)), optional=True),
        Question("region", "AWS region for the state bucket and lock table:",
                 default=lambda a: previous.get("region") or _default_region(a)),
    ]


def _default_github_repository(previous, project_dir):
    """The repository named in ecsenv.yaml, else the one the git remote `origin` is on github.com; else none (never
    a made-up name: the CI roles trust exactly this repository)."""
    if previous.get("github_repository"):
        return previous["github_repository"]
    from bootstrap.lifecycle.git import origin_github_repository

    return origin_github_repository(project_dir)


def _parse_github_repository(text):
    return text.strip() or None


def settings_questions(previous, account_id, project_dir="."):
    """Asked once the account is known (the bucket name defaults to include it)."""
    return [
        Question("environments", "Environments, in promotion order (each promotes from the one before):",
                 default=lambda a: previous.get("environments") or answer_rules.chain_environments(
                     ["staging", "production"]),
                 parse=answer_rules.parse_environment_list, show=_show_environments),
        Question("locking", "State locking:", kind="select",
                 choices=lambda a: [("both: S3 lockfile and DynamoDB (safe while migrating)", "both"),
                                    ("lockfile: S3 native lockfile only (Terraform >= 1.10)", "lockfile"),
                                    ("dynamodb: DynamoDB table only (older Terraform)", "dynamodb")],
                 default=lambda a: previous.get("locking") or "both"),
        Question("encryption", "State encryption:", kind="select",
                 choices=lambda a: [("SSE-S3 (AES256, no key to manage)", SSE_S3),
                                    ("SSE-KMS (a KMS key you choose, with a bucket key)", SSE_KMS)],
                 default=lambda a: SSE_KMS if a.get("kms_key_id") or previous.get("kms_key_id") else SSE_S3,
                 interactive_only=True),
        Question("kms_key_id", "KMS key id, ARN or alias/NAME:",
                 default=lambda a: previous.get("kms_key_id"),
                 when=lambda a: a.get("encryption") == SSE_KMS or bool(a.get("kms_key_id")),
                 optional=True),
        Question("tags", "Tags for the bucket and table (key=value, comma-separated):",
                 default=lambda a: previous.get("tags") or {"project": a["project"], "managed-by": "ecsenv"},
                 parse=_parse_tags, show=_show_tags, optional=True),
        Question("bucket", "State bucket name:",
                 default=lambda a: previous.get("bucket") or f"{a['project']}-tfstate-{account_id}"),
        Question("lock_table", "Lock table name:",
                 default=lambda a: previous.get("lock_table") or f"{a['project']}-tfstate-lock",
                 when=lambda a: a.get("locking") in ("both", "dynamodb")),
        Question("github_repository", "GitHub repository whose workflows get the CI roles (owner/name; empty: none):",
                 default=lambda a: _default_github_repository(previous, project_dir),
                 parse=_parse_github_repository, optional=True),
    ]


def answers_before_account(wiz, previous):
    """The settings answers when they are known before STS says which account this is: nothing will be asked, and
    the bucket is named (its default name includes the account). None otherwise. The wizard is left as it was."""
    if (wiz.interactive and not wiz.assume_yes) or not (wiz.answers.get("bucket") or previous.get("bucket")):
        return None
    trial = Wizard(dict(wiz.answers), interactive=False, assume_yes=wiz.assume_yes)
    try:
        return trial.fill(settings_questions(previous, account_id=None))
    except UserError:
        return None


def ask_with_questionary(question, default, answers):
    """The single questionary call site. Ctrl-C raises KeyboardInterrupt (unsafe_ask), which the CLI maps to 130."""
    import questionary

    if question.kind == "confirm":
        return questionary.confirm(question.message, default=bool(default)).unsafe_ask()
    if question.kind == "select":
        choices = [questionary.Choice(title, value=value) for title, value in question.choices(answers)]
        chosen_default = next((choice for choice in choices if choice.value == default), None)
        return questionary.select(question.message, choices=choices, default=chosen_default).unsafe_ask()

    def validate(text):
        try:
            value = question.parse(text)
        except ValueError as exc:
            return str(exc)
        return answer_rules.problem(question.key, value) or True

    text = questionary.text(question.message, default=question.show(default), validate=validate).unsafe_ask()
    return question.parse(text)


def ask_typed(message):
    """Text typed at the terminal, e.g. an environment's name to confirm its destroy. Ctrl-C raises
    KeyboardInterrupt (the CLI maps it to 130); Ctrl-D is an empty answer."""
    import questionary

    try:
        return (questionary.text(message).unsafe_ask() or "").strip()
    except EOFError:
        return ""


class Wizard:
    def __init__(self, given, interactive, assume_yes, prompt=ask_with_questionary):
        self.answers = dict(given)
        self.interactive = interactive
        self.assume_yes = assume_yes
        self._prompt = prompt

    def missing(self, questions):
        """Keys a non-interactive run cannot answer (required, not given, no --yes)."""
        if self.interactive or self.assume_yes:
            return []
        return [q.key for q in questions
                if not q.optional and not q.interactive_only and q.key not in self.answers and q.when(self.answers)]

    def require_complete(self, questions):
        missing = self.missing(questions)
        if missing:
            raise UserError(f"missing answers: {', '.join(missing)}. Give them in the --answers file, or pass --yes "
                            "to accept the defaults (stdin is not a terminal, so nothing can be asked)")

    def fill(self, questions):
        for question in questions:
            if question.key in self.answers or not question.when(self.answers):
                continue
            default = question.default(self.answers)
            if self.interactive and not self.assume_yes:
                self.answers[question.key] = self._prompt(question, default, self.answers)
            elif self.assume_yes or question.optional or question.interactive_only:
                self.answers[question.key] = default
            else:
                self.require_complete([question])
        return self.answers

    def confirm(self, message, default=True):
        if self.assume_yes:
            return True
        if not self.interactive:
            raise UserError(f"{message.rstrip('?:')}: confirmation needed, but stdin is not a terminal; "
                            "pass --yes to proceed")
        return bool(self._prompt(Question("confirm", message, kind="confirm"), default, self.answers))
