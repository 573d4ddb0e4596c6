"""Least-privilege access to one environment's Terraform state: an IAM policy document naming only that
environment's state key, its .tflock object, its lock-table items and the state KMS key (if any). For CI roles:
a role that can apply staging cannot read or lock production's state."""

from bootstrap.aws import partition as partition_of


def state_access_policy(config, environment):
    state = config.state
    partition = partition_of(state.region)
    key = config.state_key(environment)
    bucket_arn = f"arn:{partition}:s3:::{state.bucket}"
    statements = [
        {"Sid": "ListOwnStateKeyOnly", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn,
         "Condition": {"StringEquals": {"s3:prefix": [key, f"{key}.tflock"]}}},
        {"Sid": "ReadWriteOwnState", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"{bucket_arn}/{key}"},
    ]
    if state.locking in ("both", "lockfile"):
        statements.append({"Sid": "OwnLockfile", "Effect": "Allow",
                           "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                           "Resource": f"{bucket_arn}/{key}.tflock"})
    if state.uses_table:
        table_arn = f"arn:{partition}:dynamodb:{state.region}:{state.account_id}:table/{state.lock_table}"
        statements.append({"Sid": "OwnLockItemsOnly", "Effect": "Allow",
                           "Action": ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                                      "dynamodb:DeleteItem"],
                           "Resource": table_arn,
                           # Terraform's items: the lock itself and the state digest.
                           "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [
                               f"{state.bucket}/{key}", f"{state.bucket}/{key}-md5"]}}})
    if state.kms_key_id:
        statements.append(_kms_statement(state, partition))
    return {"Version": "2012-10-17", "Statement": statements}


def _kms_statement(state, partition):
    actions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    key_ref = state.kms_key_id
    if key_ref.startswith("arn:") and ":key/" in key_ref:
        return {"Sid": "StateKmsKey", "Effect": "Allow", "Action": actions, "Resource": key_ref}
    if key_ref.startswith("alias/") or ":alias/" in key_ref:
        # IAM cannot name a key by alias as a resource; the alias is matched on the request instead.
        alias = key_ref.split(":", 5)[-1] if key_ref.startswith("arn:") else key_ref
        return {"Sid": "StateKmsKeyByAlias", "Effect": "Allow", "Action": actions, "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [alias]}}}
    return {"Sid": "StateKmsKey", "Effect": "Allow", "Action": actions,
            "Resource": f"arn:{partition}:kms:{state.region}:{state.account_id}:key/{key_ref}"}
