"""AWS sessions and clients the way the aws CLI resolves them, and AWS errors turned into ecsenv errors.

botocore itself honours AWS_PROFILE, AWS_REGION/AWS_DEFAULT_REGION and AWS_ENDPOINT_URL (and the per-service
AWS_ENDPOINT_URL_<SERVICE>), so the embedded emulator is reached the same way as any other endpoint.
We use botocore's session directly: boto3's wrapper adds nothing we use and a tenth of a second of start-up.
"""

import threading
from dataclasses import dataclass

from bootstrap.errors import OperationFailed, UserError


def _retries():
    """botocore's standard retry mode; AWS_MAX_ATTEMPTS is honoured as the aws CLI (and terraform) honour it."""
    import os

    attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return {"max_attempts": int(attempts) if attempts.isdigit() and int(attempts) > 0 else 5, "mode": "standard"}


def partition(region):
    """The ARN partition of a region: aws, aws-cn or aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class Identity:
    account_id: str
    arn: str


def available_profiles():
    """Profiles from the shared config/credentials files (read locally; no AWS call)."""
    import botocore.session

    return sorted(botocore.session.Session().available_profiles)


class _Connection:
    """What Aws objects of one profile, region and endpoint share: the botocore session, its clients, the caller's
    identity."""

    def __init__(self, session, config, endpoint_url):
        self.session, self.config, self.endpoint_url = session, config, endpoint_url
        self.clients, self.identity = {}, None
        self.lock, self.identity_lock = threading.Lock(), threading.Lock()


class Aws:
    """One botocore session (profile + region) handing out clients that share its credentials."""

    def __init__(self, profile=None, region=None, endpoint_url=None, credentials=None, account_id=None, label=None,
                 shares=None):
        """endpoint_url and credentials are for the embedded emulator; otherwise botocore resolves both itself.
        account_id: the account this connection is meant for (an environment's, from ecsenv.yaml), checked by
        check_account(); label names it in messages ("environment staging"). shares: another Aws of the same
        profile, region and endpoint whose session, clients and identity this one uses too (building a client is
        the costly part of a connection: `status` over a hundred environments in one region builds each once)."""
        self.region = region
        self.account_id, self.label = account_id, label
        if shares is not None:
            self._shared, self.memo = shares._shared, shares.memo
            return
        import botocore.config  # imported on first use: botocore costs more than the rest of the CLI's start-up
        import botocore.session

        if profile and profile not in available_profiles():
            raise UserError(f"AWS profile {profile!r} is not configured (see `aws configure list-profiles`)")
        session = botocore.session.Session(profile=profile or None)
        if region:
            session.set_config_variable("region", region)
        if credentials:
            session.set_credentials(credentials["aws_access_key_id"], credentials["aws_secret_access_key"])
        else:
            # Resolved now (locally: environment, shared files, SSO cache, ...), so a missing credential is the same
            # one line from every command, before the command prints anything.
            require_credentials(session)
        self._shared = _Connection(session, botocore.config.Config(retries=_retries(), max_pool_connections=32),
                                   endpoint_url)
        self.memo = {}  # reads that do not change within one command (an environment's outputs), keyed by caller

    def client(self, service, region=None):
        shared = self._shared
        key = (service, region or self.region)
        with shared.lock:  # botocore sessions are not thread-safe; the clients they make are
            if key not in shared.clients:
                shared.clients[key] = shared.session.create_client(
                    service, region_name=key[1], config=shared.config, endpoint_url=shared.endpoint_url)
            return shared.clients[key]

    def identity(self, prepare=()):
        """The caller's account and ARN (asked once per connection, however many threads ask). Clients for
        `prepare` are built while STS answers: building a client is CPU work (loading its service model), the call
        is network wait, so the two overlap."""
        from concurrent.futures import ThreadPoolExecutor

        shared = self._shared
        with shared.identity_lock:
            if shared.identity is not None:
                return shared.identity
            sts = self.client("sts")
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(call, sts.get_caller_identity, doing="asking STS who the caller is")
                for service in prepare:
                    self.client(service)
                response = pending.result()
            shared.identity = Identity(account_id=response["Account"], arn=response["Arn"])
            return shared.identity

    def check_account(self, identity=None):
        """UserError when the credentials are for another account than the one this connection is meant for."""
        identity = identity or self.identity()
        if self.account_id and identity.account_id != self.account_id:
            raise UserError(f"{self.label or 'this'} is in account {self.account_id} (ecsenv.yaml), but the "
                            f"credentials are for account {identity.account_id} ({identity.arn}): use credentials "
                            f"for {self.account_id} (--profile or AWS_PROFILE)")
        return identity


def error_code(exc):
    """The AWS error code of a ClientError ("" for anything else)."""
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def http_status(exc):
    return getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")


CREDENTIAL_ERRORS = ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
                     "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "TokenRefreshRequired")
# What AWS answers when it throttles (botocore's standard retry mode retries these first; see
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
THROTTLING_ERRORS = ("Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                     "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                     "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
                     "PriorRequestNotComplete", "EC2ThrottledException")
NO_CREDENTIALS = ("no AWS credentials found: set AWS_PROFILE or pass --profile (for SSO: aws sso login), "
                  "or use --local for the embedded emulator")


def _one_line(text):
    return " ".join(str(text).split())


def translate(exc):
    """The ecsenv error for a credential, connection or throttling problem (the same from every command), else None.
    Never a botocore class name in the message."""
    import botocore.exceptions as errors

    if isinstance(exc, (errors.NoCredentialsError, errors.PartialCredentialsError, errors.CredentialRetrievalError,
                        errors.SSOError, errors.TokenRetrievalError, errors.UnknownCredentialError,
                        errors.NoAuthTokenError, errors.ProfileNotFound)):
        return UserError(NO_CREDENTIALS if not isinstance(exc, errors.ProfileNotFound)
                         else f"{_one_line(exc)} (see `aws configure list-profiles`)")
    if isinstance(exc, (errors.EndpointConnectionError, errors.ConnectTimeoutError, errors.ReadTimeoutError,
                        errors.ConnectionClosedError, errors.ProxyConnectionError, errors.SSLError,
                        errors.ConnectionError)):
        where = getattr(exc, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
        return OperationFailed(f"cannot reach AWS ({where}): check the network, AWS_ENDPOINT_URL and the region; "
                               "nothing more was done")
    code = error_code(exc)
    if code in CREDENTIAL_ERRORS:
        return UserError(f"AWS rejected the credentials ({code}): refresh them (for SSO: aws sso login) "
                         "and try again")
    if code in THROTTLING_ERRORS:
        return OperationFailed(f"AWS is throttling the requests ({code}), even after retries: wait a minute and "
                               "run the command again")
    return None


def require_credentials(session):
    """UserError (the one message) unless botocore finds credentials for this session; no AWS call."""
    try:
        found = session.get_credentials()
    except Exception as exc:  # noqa: BLE001 - botocore's credential providers raise their own errors
        raise (translate(exc) or UserError(NO_CREDENTIALS)) from None
    if found is None:
        raise UserError(NO_CREDENTIALS)


def call(method, *args, doing=None, missing=(), **kwargs):
    """The one way ecsenv calls AWS: `call(client.operation, Param=..., doing="what we were doing", missing=(...))`.

    - Credential and connection problems become the same one-line error from every command.
    - An error code listed in `missing` (e.g. "NoSuchKey", "404") means "not there": the result is None.
    - With `doing`, any other AWS error becomes an OperationFailed naming what we were doing and what AWS answered;
      without it, the botocore error is raised for the caller to inspect (error_code(exc))."""
    import botocore.exceptions

    try:
        return method(*args, **kwargs)
    except botocore.exceptions.ClientError as exc:
        known = translate(exc)
        if known:
            raise known from None
        code = error_code(exc)
        if code in missing or str(http_status(exc)) in missing:
            return None
        if doing:
            raise failed(doing, exc) from None
        raise
    except botocore.exceptions.BotoCoreError as exc:
        known = translate(exc)
        if known:
            raise known from None
        if doing:
            raise failed(doing, exc) from None
        raise


def call_until_ready(method, *args, not_ready, within, doing, sleep=None, **kwargs):
    """`call`, retried with bounded exponential backoff while AWS answers one of the `not_ready` error codes: the
    answers AWS documents as transient just after a create (NoSuchBucket while a new bucket propagates,
    ContinuousBackupsUnavailableException while a new table's backups are being enabled). The Terraform AWS provider
    retries the same answers. After `within` seconds the last answer is reported as `call` would.
    (Throttling needs none of this: botocore's standard retry mode, _retries() above, retries it with backoff.)"""
    import random
    import time

    import botocore.exceptions

    sleep = sleep or time.sleep
    deadline = time.monotonic() + within
    delay = 0.1
    while True:
        try:
            return call(method, *args, **kwargs)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) not in not_ready or time.monotonic() + delay > deadline:
                raise failed(doing, exc) from None
        sleep(delay * (0.5 + random.random() / 2))  # jitter: parallel callers do not retry in step
        delay = min(delay * 2, 5.0)


def pages(client, operation, key, doing, missing=(), **kwargs):
    """Every item under `key` across the pages of a paginated operation (None when an error in `missing`)."""
    def collect():
        return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]
    return call(collect, doing=doing, missing=missing)


def failed(action, exc):
    """An OperationFailed naming what we tried and what AWS answered (an ecsenv error already says it: unchanged)."""
    if isinstance(exc, (UserError, OperationFailed)):
        return exc
    known = translate(exc)
    if known:
        return known
    code = error_code(exc)
    message = _one_line(getattr(exc, "response", {}).get("Error", {}).get("Message") or str(exc))
    if not code:
        return OperationFailed(f"{action}: {message}")
    if code in ("AccessDenied", "AccessDeniedException", "403"):
        return OperationFailed(f"{action}: access denied ({message}); the caller needs that permission")
    return OperationFailed(f"{action}: {code}: {message}")
