"""The error hierarchy. Each error carries the exit code the CLI turns it into."""


class EcsenvError(Exception):
    exit_code = 1


class UserError(EcsenvError):
    """Bad usage or bad input: one clear line, nothing written, exit 2."""

    exit_code = 2


class OperationFailed(EcsenvError):
    """An AWS or terraform operation failed: exit 1."""

    exit_code = 1
