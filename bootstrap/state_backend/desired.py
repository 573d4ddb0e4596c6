"""The state backend as ecsenv.yaml wants it: the bucket's and the table's hardened settings (decision 0001)."""

from dataclasses import dataclass

from bootstrap.aws import partition

TLS_SID = "DenyInsecureTransport"
NONCURRENT_RULE_ID = "ecsenv-expire-noncurrent-versions"
MULTIPART_RULE_ID = "ecsenv-abort-incomplete-multipart-uploads"
NONCURRENT_DAYS = 90  # old state versions (and every .tflock version) are kept this long, then expire
MULTIPART_DAYS = 7
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
LOCK_KEY = "LockID"  # the hash key Terraform's S3 backend writes lock items under


@dataclass(frozen=True)
class DesiredBackend:
    account_id: str
    region: str
    bucket: str
    table: str | None  # None when locking is "lockfile" only
    kms_key_id: str | None
    tags: tuple  # ((key, value), ...) so the dataclass stays hashable
    # False only on the embedded emulator: moto enforces a Deny statement without evaluating its Condition, so the
    # TLS-only statement would refuse every object read and write there (Terraform's state included).
    tls_only: bool = True

    @classmethod
    def from_state_config(cls, state, tls_only=True):
        return cls(account_id=state.account_id, region=state.region, bucket=state.bucket,
                   table=state.lock_table if state.uses_table else None,
                   kms_key_id=state.kms_key_id, tags=tuple(sorted(state.tags.items())), tls_only=tls_only)

    def tls_statement(self):
        arn = f"arn:{partition(self.region)}:s3:::{self.bucket}"
        return {
            "Sid": TLS_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }

    def encryption_rule(self):
        if self.kms_key_id:
            return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                           "KMSMasterKeyID": self.kms_key_id},
                    "BucketKeyEnabled": True}
        return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}

    def lifecycle_rules(self):
        return [
            {"ID": NONCURRENT_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_DAYS}},
            {"ID": MULTIPART_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": MULTIPART_DAYS}},
        ]
