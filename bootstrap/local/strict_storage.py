"""The strict layer's S3 and DynamoDB rules (strict.py lists them with AWS's documentation): a new bucket answers
NoSuchBucket to bucket-level calls for `bucket_seconds`, CreateBucket with Tags is refused when s3:TagResource is
denied, and a new table's point-in-time recovery is unavailable for `pitr_seconds`. Each rule remembers what it
needs (when a bucket or table was created) under the layer's lock, timed by the layer's clock."""

from bootstrap.local.strict_http import (
    call_app,
    json_body,
    json_error,
    read_body,
    respond,
    s3_error,
    s3_target,
    subresources,
)

PITR_OPERATIONS = ("CreateTable", "UpdateContinuousBackups", "DeleteTable")


class TableRules:
    """DynamoDB: UpdateContinuousBackups within `pitr_seconds` of CreateTable answers
    ContinuousBackupsUnavailableException."""

    def __init__(self, app, lock, timings, clock):
        self.app, self._lock, self.timings, self._clock = app, lock, timings, clock
        self.reset()

    def reset(self):
        self._tables = {}  # (region, table name) -> the clock's time of CreateTable

    def __call__(self, request, environ, start_response):
        if request.operation not in PITR_OPERATIONS:
            return self.app(environ, start_response)
        params = json_body(read_body(environ))
        key = (request.region, _table_name(params.get("TableName", "")))
        if request.operation == "UpdateContinuousBackups":
            with self._lock:
                created = self._tables.get(key)
                waiting = created is not None and self._clock() - created < self.timings.pitr_seconds
            if waiting:
                return json_error("ContinuousBackupsUnavailableException",
                                  f"Backups are being enabled for the table: {key[1]}. Please retry later",
                                  prefix="com.amazonaws.dynamodb.v20120810#", version="1.0")(start_response)
            return self.app(environ, start_response)
        status, headers, body = call_app(self.app, environ)
        if status.startswith("200"):
            with self._lock:
                if request.operation == "CreateTable":
                    self._tables[key] = self._clock()
                else:
                    self._tables.pop(key, None)
        return respond(start_response, status, headers, body)


class BucketRules:
    """S3: bucket-level calls within `bucket_seconds` of CreateBucket answer NoSuchBucket; CreateBucket carrying Tags
    answers AccessDenied while "s3:TagResource" is in `denied` (a set the layer's admin endpoint fills)."""

    def __init__(self, app, lock, timings, clock, denied):
        self.app, self._lock, self.timings, self._clock, self._denied = app, lock, timings, clock, denied
        self.reset()

    def reset(self):
        self._buckets = {}  # bucket name -> the clock's time of CreateBucket

    def __call__(self, request, environ, start_response):
        bucket, key = s3_target(environ)
        if not bucket or key:
            return self.app(environ, start_response)  # object-level calls (and ListBuckets) pass untouched
        if request.method == "PUT" and not subresources(request.query):
            return self._create(request, bucket, environ, start_response)
        with self._lock:
            created = self._buckets.get(bucket)
            propagating = created is not None and self._clock() - created < self.timings.bucket_seconds
            if created is not None and not propagating:
                del self._buckets[bucket]
        if propagating:
            return s3_error("NoSuchBucket", "The specified bucket does not exist", 404, request,
                            bucket=bucket)(start_response)
        if request.method == "DELETE" and not subresources(request.query):
            with self._lock:
                self._buckets.pop(bucket, None)
        return self.app(environ, start_response)

    def _create(self, request, bucket, environ, start_response):
        with self._lock:
            deny_tags = "s3:TagResource" in self._denied
        if deny_tags and b"<Tags>" in read_body(environ, limit=1 << 20):
            return s3_error("AccessDenied", "User is not authorized to perform: s3:TagResource on resource: "
                            f'"arn:aws:s3:::{bucket}" because no identity-based policy allows the '
                            "s3:TagResource action", 403, request)(start_response)
        status, headers, body = call_app(self.app, environ)
        if status.startswith("200"):
            with self._lock:
                self._buckets[bucket] = self._clock()
        return respond(start_response, status, headers, body)


def _table_name(name):
    return name.split(":table/", 1)[-1] if name.startswith("arn:") else name
