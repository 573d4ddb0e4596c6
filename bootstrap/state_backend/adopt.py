"""Hand the state backend over to Terraform: the HCL of `environments/global_aws/state_backend.tf`.

`ecsenv init` has to create the state bucket (and lock table) before Terraform can keep state anywhere. Afterwards
the `global_aws` root adopts them: adoption_file() renders Terraform resources that match exactly what the
bootstrap set (desired.DesiredBackend is the one source of both), with an `import {}` block for each (Terraform
>= 1.5), so the first apply imports them, adds/changes/destroys nothing, and the next plan is empty.

Pure: no AWS call. Values are written as HCL literals through hcl_string()/hcl_value(), already laid out the way
`terraform fmt` lays them out, so the file is fmt-clean.
"""

import os
import re

from bootstrap.aws import partition
from bootstrap.project.hcl import hcl_string
from bootstrap.project.render import render_template
from bootstrap.state_backend.desired import (
    LOCK_KEY,
    MULTIPART_DAYS,
    MULTIPART_RULE_ID,
    NONCURRENT_DAYS,
    NONCURRENT_RULE_ID,
    PUBLIC_ACCESS_FLAGS,
    TLS_SID,
    DesiredBackend,
)

TEMPLATE = "state_backend.tf.j2"

_KMS_KEY_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")


def adoption_file(config):
    """The text of environments/global_aws/state_backend.tf for a bootstrap.config.ProjectConfig (no header)."""
    desired = DesiredBackend.from_state_config(config.state)
    encryption = desired.encryption_rule()
    table_kms_arn, kms_lookup = _table_kms_key(desired)
    return render_template(TEMPLATE,
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


def generated_files(config, project_dir, adopt):
    """Every file init writes besides ecsenv.yaml, planned (nothing written yet). The adoption file is written
    once, when missing: after the import it is Terraform's and its owners' to edit, not a generated file."""
    from bootstrap.project import layout, render

    planned = render.plan_generated_files(config, project_dir)
    if adopt and not os.path.exists(layout.adoption_file(project_dir)):
        text = ("# Written once by `ecsenv init --adopt`; from here on it is yours (ecsenv never rewrites it).\n"
                + adoption_file(config))
        planned.append(render.plan_file(layout.adoption_file(project_dir), text, project_dir))
    return planned
