"""Hand the state backend over to Terraform: the HCL of `environments/global_aws/state_backend.tf`.

`ecsenv init` has to create the state bucket (and lock table) before Terraform can keep state anywhere. Afterwards
the `global_aws` root adopts them: adoption_file() renders Terraform resources that match exactly what the
bootstrap set (backend.DesiredBackend is the one source of both), with an `import {}` block for each (Terraform
>= 1.5), so the first apply imports them, adds/changes/destroys nothing, and the next plan is empty.

Pure: no AWS call. Values are written as HCL literals through hcl_string()/hcl_value(), already laid out the way
`terraform fmt` lays them out, so the file is fmt-clean.
"""

import functools
import json
import re

import jinja2

from bootstrap.aws import partition
from bootstrap.backend import (LOCK_KEY, MULTIPART_DAYS, MULTIPART_RULE_ID, NONCURRENT_DAYS, NONCURRENT_RULE_ID,
                               PUBLIC_ACCESS_FLAGS, TLS_SID, DesiredBackend)

TEMPLATE = "state_backend.tf.j2"
ADOPTION_PATH = "environments/global_aws/state_backend.tf"  # where the caller writes adoption_file()'s text

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_KEYWORDS = {"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"}  # never bare object keys
_KMS_KEY_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")


def adoption_file(config):
    """The text of environments/global_aws/state_backend.tf for a bootstrap.config.ProjectConfig (no header)."""
    desired = DesiredBackend.from_state_config(config.state)
    encryption = desired.encryption_rule()
    table_kms_arn, kms_lookup = _table_kms_key(desired)
    return _environment().get_template(TEMPLATE).render(
        project=config.project,
        desired=desired,
        tags=dict(desired.tags),
        sse=encryption["ApplyServerSideEncryptionByDefault"],
        bucket_key_enabled=bool(encryption.get("BucketKeyEnabled")),
        public_access_pairs=[(_snake(flag), "true") for flag in PUBLIC_ACCESS_FLAGS],
        policy={"Version": "2012-10-17", "Statement": [desired.tls_statement()]},
        tls_sid=TLS_SID,
        noncurrent_rule_id=NONCURRENT_RULE_ID,
        noncurrent_days=NONCURRENT_DAYS,
        multipart_rule_id=MULTIPART_RULE_ID,
        multipart_days=MULTIPART_DAYS,
        lock_key=LOCK_KEY,
        table_kms_arn=table_kms_arn,
        kms_lookup=kms_lookup,
    )


def _table_kms_key(desired):
    """(kms_key_arn expression for the lock table or None, key to look up with a data source or None).

    The bucket keeps the key exactly as configured (S3 reports it back as written), but DynamoDB reports the KEY
    ARN whatever form it was given, and the provider wants that ARN. A key id or key ARN gives it literally; an
    alias (name or ARN) is resolved by `data "aws_kms_key"` (one kms:DescribeKey at plan time)."""
    key = desired.kms_key_id
    if not key or not desired.table:
        return None, None
    if _KMS_KEY_ID.match(key):
        return hcl_string(f"arn:{partition(desired.region)}:kms:{desired.region}:{desired.account_id}:key/{key}"), None
    if key.startswith("arn:") and ":key/" in key:
        return hcl_string(key), None
    return "data.aws_kms_key.state.arn", key


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@functools.lru_cache(maxsize=1)
def _environment():
    """One jinja2 environment per process: the template compiles once."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("bootstrap", "templates"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["hcl"] = hcl_value
    env.filters["hcl_string"] = hcl_string
    env.globals["attributes"] = attributes
    return env


# ---------------------------------------------------------------- HCL literals, laid out as `terraform fmt` does


def hcl_string(value):
    """A quoted HCL string whose value is exactly `value`: escapes, and no ${ or %{ template sequences."""
    out = []
    for char in str(value):
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    text = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{text}"'


def hcl_key(key):
    return key if _IDENTIFIER.match(key) and key not in _KEYWORDS else hcl_string(key)


def hcl_value(value, indent=0):
    """An HCL expression for a JSON-like value; multi-line maps and lists continue at `indent` spaces."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, str):
        return hcl_string(value)
    pad = " " * (indent + 2)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = "".join(f"{pad}{hcl_value(item, indent + 2)},\n" for item in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{\n" + attributes(value.items(), indent + 2, keys=hcl_key) + "\n" + " " * indent + "}"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def attributes(pairs, indent, keys=str, raw=False):
    """`name = value` lines at `indent`, the `=` aligned over each run of single-line values, as `terraform fmt`
    aligns them (a multi-line value ends a run and is not aligned with its neighbours). Values are HCL literals of
    Python values, or already HCL expressions when raw."""
    rows = [(keys(name), value if raw else hcl_value(value, indent)) for name, value in pairs]
    lines, run = [], []

    def flush():
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{' ' * indent}{name.ljust(width)} = {text}" for name, text in run)
        run.clear()

    for name, text in rows:
        if "\n" in text:
            flush()
            lines.append(f"{' ' * indent}{name} = {text}")
        else:
            run.append((name, text))
    flush()
    return "\n".join(lines)
