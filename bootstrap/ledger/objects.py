"""The ledger's records as JSON objects in the state bucket."""

import datetime
import json

from bootstrap.aws import call

NOT_FOUND = ("NoSuchKey", "404", "NotFound")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def put_json(s3, bucket, key, record, doing):
    call(s3.put_object, Bucket=bucket, Key=key, Body=json.dumps(record, indent=2).encode("utf-8"),
         ContentType="application/json", doing=doing)


def get_object(s3, bucket, key, doing):
    """The GetObject answer, or None when there is no such object."""
    return call(s3.get_object, Bucket=bucket, Key=key, missing=NOT_FOUND, doing=doing)
