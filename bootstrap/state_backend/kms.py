"""The state's KMS key, named by the user as a key id, key ARN, alias name or alias ARN, resolved to its key ARN with
kms:DescribeKey before anything is created. IAM policies name keys by key ARN only (an alias is not a resource:
https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html), and a key that does not exist would
otherwise be found only when S3 first encrypts with it.
  https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html"""

from bootstrap.aws import call
from bootstrap.errors import UserError

UNUSABLE_STATES = ("Disabled", "PendingDeletion", "PendingReplicaDeletion", "Unavailable")


def resolve_key_arn(aws, key_ref):
    """The key ARN of `key_ref` (UserError when there is no such key or it cannot encrypt)."""
    region = key_ref.split(":")[3] if key_ref.startswith("arn:") else None  # DescribeKey answers in the key's region
    kms = aws.client("kms", region=region)
    answer = call(kms.describe_key, KeyId=key_ref, missing=("NotFoundException",),
                  doing=f"looking up the state's KMS key {key_ref}")
    if answer is None:
        raise UserError(f"KMS key {key_ref!r} does not exist in {region or aws.region} (kms:DescribeKey found no "
                        "such key or alias): create it, or choose another key (or SSE-S3)")
    metadata = answer["KeyMetadata"]
    if metadata.get("KeyState") in UNUSABLE_STATES:
        raise UserError(f"KMS key {key_ref!r} ({metadata['Arn']}) is {metadata['KeyState']}: S3 cannot encrypt the "
                        "state with it. Enable it or choose another key")
    return metadata["Arn"]
