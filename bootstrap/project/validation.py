"""Validators for the names and values a user types. Each returns None when the value is fine, else one sentence
saying what is wrong, so the same rules serve the wizard (inline), the answers file and ecsenv.yaml (with a line)."""

import functools
import hashlib
import ipaddress
import re

# Single hyphens only, never at the end: RDS instance identifiers and ElastiCache ids made from these names refuse
# "--" and a trailing hyphen (RDS API reference, CreateDBInstance; ElastiCache, CreateReplicationGroup).
PROJECT_RE = re.compile(r"^[a-z](?:[a-z0-9]|-[a-z0-9])+$")
PROJECT_MAX = 40  # leaves room for "-tfstate-<12-digit account>" inside S3's 63 characters
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
# Reserved by S3 for access points, Object Lambda, multi-region access points and directory/table buckets.
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
# The forms KMS accepts where a key is named (https://docs.aws.amazon.com/kms/latest/developerguide/
# concepts.html#key-id): a key id (a UUID, or mrk-<32 hex> for a multi-Region key), its key ARN, an alias name
# (alias/<1-250 of letters, digits, / _ ->; https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html)
# or an alias ARN. Anything else would reach S3/DynamoDB only to be rejected there.
_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
KMS_KEY_RE = re.compile(
    rf"^(?:{_KEY_ID}|{_ALIAS}|arn:aws(?:-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:kms:[a-z]{{2}}(?:-[a-z]+)+-\d:"
    rf"\d{{12}}:(?:key/{_KEY_ID}|{_ALIAS}))$"
)
# owner/name as GitHub allows them: owners are letters, digits and single hyphens (at most 39 characters),
# repository names letters, digits, '.', '_' and '-' (at most 100).
GITHUB_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
ENV_NAME_RE = re.compile(r"^[a-z](?:[a-z0-9]|-[a-z0-9])*$")
ENV_NAME_MAX = 32
# A project and environment name together: every name the stack derives (`<project>-<env>-<service>-execution`, the
# RDS identifier, schedules) that AWS's limit makes it shorten (aws_name) keeps `<project>-<env>-` whole, as the IAM
# policies' Resource patterns expect: the tightest, RDS's 63 characters, keeps 63 - 7 = 56, less the two hyphens.
PROJECT_AND_ENV_MAX = 54
# The names of the stack's services and scheduled tasks (keys of `services` / `scheduled_tasks` in env.auto.tfvars;
# modules/deployment validates them the same way): parts of target group, IAM role and task family names.
STACK_SERVICE_RE = re.compile(r"^[a-z](?:[a-z0-9]|-[a-z0-9])*$")
STACK_SERVICE_MAX = 64
HASH_DIGITS = 6
RESERVED_ENV_NAMES = ("global_aws",)
LOCKING_MODES = ("both", "lockfile", "dynamodb")
# Tags go on the S3 bucket and the DynamoDB table, which share these rules: at most 50 tags, keys of 1 to 128 and
# values of 0 to 256 Unicode characters, made of letters, digits, white space and + - = . _ : / @, and no key
# starting with the reserved `aws:` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html,
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.html#TaggingRestrictions).
TAG_KEY_MAX, TAG_VALUE_MAX, TAGS_MAX = 128, 256, 50
TAG_PUNCTUATION = set("+-=._:/@ ")
# A secret's NAME: what modules/core-services accepts (an environment variable name). Its full Secrets Manager name
# is <project>/<environment>/<NAME>, at most 512 characters.
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,255}$")


def aws_name(name, limit):
    """`name` when it fits AWS's `limit`, else a prefix of it and "-" and the first 6 hex digits of the SHA-256 of
    the whole name: two long names never collide by truncation. The one rule of the stack (docs/stack.md, "Names"):
    Terraform's `length(name) <= limit ? name : "${trimsuffix(substr(name, 0, limit - 7), "-")}-${substr(sha256(
    name), 0, 6)}"`, character for character (trimsuffix removes one hyphen)."""
    if len(name) <= limit:
        return name
    prefix = name[:limit - HASH_DIGITS - 1].removesuffix("-")
    return f"{prefix}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:HASH_DIGITS]}"


def project_name(value):
    if not isinstance(value, str) or not value:
        return "a project name is required"
    if len(value) > PROJECT_MAX:
        return f"project name {value!r} is {len(value)} characters long; at most {PROJECT_MAX} are allowed"
    if not PROJECT_RE.match(value):
        return (f"project name {value!r} must be lowercase letters, digits and single hyphens, "
                "starting with a letter and not ending with a hyphen")
    return None


def bucket_name(value):
    if not isinstance(value, str) or not value:
        return "a bucket name is required"
    if not 3 <= len(value) <= 63:
        return f"bucket name {value!r} is {len(value)} characters long; S3 allows 3 to 63"
    if value != value.lower():
        return f"bucket name {value!r} must not contain uppercase letters"
    if not BUCKET_RE.match(value):
        return (f"bucket name {value!r} may only contain lowercase letters, digits, dots and hyphens, "
                "and must start and end with a letter or digit")
    if ".." in value:
        return f"bucket name {value!r} must not contain two adjacent dots"
    if _looks_like_ip(value):
        return f"bucket name {value!r} must not be formatted as an IP address"
    for prefix in BUCKET_RESERVED_PREFIXES:
        if value.startswith(prefix):
            return f"bucket name {value!r} must not start with the reserved prefix {prefix!r}"
    for suffix in BUCKET_RESERVED_SUFFIXES:
        if value.endswith(suffix):
            return f"bucket name {value!r} must not end with the reserved suffix {suffix!r}"
    return None


def _looks_like_ip(value):
    try:
        ipaddress.IPv4Address(value)
        return True
    except ValueError:
        return False


def table_name(value):
    if not isinstance(value, str) or not TABLE_RE.match(value):
        return (f"lock table name {value!r} must be 3 to 255 characters of letters, digits, "
                "underscore, hyphen and dot")
    return None


def account_id(value):
    if not isinstance(value, str) or not ACCOUNT_RE.match(value):
        return f"account id {value!r} must be exactly 12 digits (quote it in YAML)"
    return None


@functools.lru_cache(maxsize=1)
def known_regions():
    """Every region of every partition botocore knows, from its small partitions.json (offline, no AWS call;
    cheaper than botocore's endpoint data, which costs a tenth of a second to load)."""
    import importlib.resources
    import json

    data = json.loads((importlib.resources.files("botocore") / "data" / "partitions.json").read_text())
    return frozenset(region for partition in data["partitions"] for region in partition["regions"]
                     if not region.endswith("-global"))  # "aws-global" and the like are not places


def region(value):
    if not isinstance(value, str) or not value:
        return "a region is required"
    if value not in known_regions():
        return f"unknown region {value!r} (for example us-east-1, eu-west-1)"
    return None


def locking(value):
    if value not in LOCKING_MODES:
        return f"locking must be one of {', '.join(LOCKING_MODES)}, not {value!r}"
    return None


def kms_key_id(value):
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not KMS_KEY_RE.match(value):
        return (f"KMS key {value!r} must be a key id, key ARN, alias/NAME or alias ARN "
                "(leave it empty for SSE-S3)")
    return None


def environment_name(value):
    if not isinstance(value, str) or not value:
        return "an environment name is required"
    if value in RESERVED_ENV_NAMES:
        return f"environment name {value!r} is reserved"
    if len(value) > ENV_NAME_MAX or not ENV_NAME_RE.match(value):
        return (f"environment name {value!r} must be lowercase letters, digits and single hyphens, starting with a "
                f"letter and not ending with a hyphen, at most {ENV_NAME_MAX} characters")
    return None


def environment_in_project(project, environment):
    """None when the two names fit together (PROJECT_AND_ENV_MAX), else the problem."""
    if not isinstance(project, str) or not isinstance(environment, str):
        return None  # each name's own rule says what is wrong
    total = len(project) + len(environment)
    if total > PROJECT_AND_ENV_MAX:
        return (f"project {project!r} and environment {environment!r} are {total} characters together, at most "
                f"{PROJECT_AND_ENV_MAX}: the names the stack derives from them (e.g. "
                f"<project>-<environment>-<service>-execution) must keep <project>-<environment>- whole when AWS's "
                "length limits make them shorter, since the IAM policies match that prefix")
    return None


def _tag_text_problem(text):
    """The first character S3/DynamoDB do not allow in a tag key or value, or None."""
    import unicodedata

    for char in text:
        if char in TAG_PUNCTUATION or unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "Zs":
            continue
        return char
    return None


def tags(value):
    if not isinstance(value, dict):
        return "tags must be a mapping of key: value"
    if len(value) > TAGS_MAX:
        return f"{len(value)} tags given; S3 and DynamoDB allow at most {TAGS_MAX}"
    for key, val in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX:
            return f"tag key {key!r} must be a string of 1 to {TAG_KEY_MAX} characters"
        if key.lower().startswith("aws:"):
            return f"tag key {key!r} uses the reserved prefix 'aws:'"
        if not isinstance(val, str) or len(val) > TAG_VALUE_MAX:
            return f"tag {key!r} must have a string value of at most {TAG_VALUE_MAX} characters (quote it in YAML)"
        for what, text in (("key", key), ("value", val)):
            bad = _tag_text_problem(text)
            if bad is not None:
                return (f"tag {what} {text!r} contains {bad!r}: S3 and DynamoDB allow letters, digits, spaces "
                        "and + - = . _ : / @")
    return None


def secret_name(value):
    if not isinstance(value, str) or not SECRET_NAME_RE.match(value):
        return (f"secret name {value!r} must be the NAME from `ecsenv secret list ENV`: letters, digits and "
                "underscores (an environment variable name)")
    return None


STATE_KEY_RE = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,1024}$")  # S3's safe key characters
BRANCH_RE = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)(?!.*@\{)[A-Za-z0-9._/-]{1,255}(?<!/)(?<!\.lock)$")


def state_key(value):
    if not isinstance(value, str) or not STATE_KEY_RE.match(value):
        return ("a state key is an S3 object key of letters, digits and ! _ . * ' ( ) / - "
                "(like staging/terraform.tfstate)")
    if value.startswith("/") or value.endswith("/") or value.startswith("ecsenv/") or "//" in value:
        return "a state key must not start or end with '/', contain '//', or lie under ecsenv/ (ecsenv's records)"
    return None


def branch_name(value):
    if not isinstance(value, str) or not BRANCH_RE.match(value) or value.startswith("-"):
        return "the trunk is a git branch name (like main)"
    return None


def command_line(value):
    """A command as one line, split like a POSIX shell would (quotes group words); no shell runs it."""
    import shlex

    if not isinstance(value, str) or not value.strip():
        return "the command must be a non-empty string, e.g. \"bin/migrate --verbose\""
    try:
        shlex.split(value)
    except ValueError as exc:
        return f"the command {value!r} cannot be split into words: {exc}"
    return None


# ECS CreateService: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
SERVICE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def service_name(value):
    if not isinstance(value, str) or not SERVICE_NAME_RE.match(value):
        return (f"service name {value!r} must be up to 255 letters, digits, hyphens and underscores "
                "(see `ecsenv status` for the services)")
    return None


def github_repository(value):
    """owner/name of the GitHub repository whose workflows assume the roles; None (not set) is allowed."""
    if value is None:
        return None
    if not isinstance(value, str) or not GITHUB_REPOSITORY_RE.match(value) or value.split("/")[1] in (".", ".."):
        return (f"github_repository {value!r} must be owner/name, as in https://github.com/owner/name "
                "(leave it out for no GitHub Actions roles)")
    return None
