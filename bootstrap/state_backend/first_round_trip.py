"""`ecsenv init`'s first round trip: STS (who the caller is) and, when init's settings are known without the account,
the state backend's reads and the KMS key lookup, all sent together, so that STS is off the critical path: a
converged re-run is two round trips (STS + HeadBucket + DescribeTable, then the details of what exists)."""

from concurrent.futures import ThreadPoolExecutor

from bootstrap.state_backend.actual import read_backend


class FirstRoundTrip:
    def __init__(self, aws, desired=None, kms_key=None):
        """desired: the DesiredBackend as far as it is known before STS answers (account_id None when ecsenv.yaml
        does not name it yet), or None to read nothing yet; kms_key: the key reference to resolve, or None."""
        from bootstrap.state_backend import kms

        self._aws, self._desired, self._kms_key = aws, desired, kms_key
        for service in ("sts", "s3", "dynamodb"):  # CPU work (service models): done before anything is sent
            aws.client(service)
        pool = ThreadPoolExecutor(max_workers=3)
        self._identity = pool.submit(aws.identity)
        self._backend = pool.submit(read_backend, aws, desired, owner=self._account_id) if desired else None
        self._key = pool.submit(kms.resolve_key_arn, aws, kms_key) if kms_key else None
        pool.shutdown(wait=False)

    def _account_id(self):
        return self._identity.result().account_id

    def identity(self):
        return self._identity.result()

    def key_arn(self, key_ref):
        """The key ARN of `key_ref`: from the first round trip when it looked that key up."""
        from bootstrap.state_backend import kms

        if self._key is not None and key_ref == self._kms_key:
            return self._key.result()
        return kms.resolve_key_arn(self._aws, key_ref)

    def backend(self, desired):
        """The backend as it is: read in the first round trip when that read the same bucket and table."""
        early = self._desired
        read = ("bucket", "table", "region")  # what the reads depend on (the KMS key and tags are compared later)
        if self._backend is not None and early.account_id in (None, desired.account_id) and all(
                getattr(early, name) == getattr(desired, name) for name in read):
            return self._backend.result()
        if self._backend is not None:
            self._backend.exception()  # a read of another bucket: wait it out, its answer is not ours
        return read_backend(self._aws, desired)
