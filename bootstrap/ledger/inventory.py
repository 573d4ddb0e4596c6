"""What the ledger holds for one environment, listed for `env remove` to say what it keeps."""

from bootstrap.aws import pages
from bootstrap.ledger.keys import environment_prefixes


def environment_records(aws, bucket, environment):
    """{prefix or key: how many objects} of what the ledger holds for one environment (apply records, deploy
    history, its deploy lock)."""
    s3 = aws.client("s3")
    found = {}
    for prefix in environment_prefixes(environment):
        contents = pages(s3, "list_objects_v2", "Contents", f"listing the records of {environment} in bucket {bucket}",
                         Bucket=bucket, Prefix=prefix)
        if contents:
            found[prefix] = len(contents)
    return found
