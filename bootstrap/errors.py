"""The error hierarchy and the exit codes. Each error carries the exit code the CLI turns it into."""

EXIT_OK = 0  # done, converged, no changes
EXIT_FAILED = 1  # an AWS or terraform operation failed (a deploy rolled back, ...)
EXIT_USAGE = 2  # bad usage or bad input: nothing written, no AWS call made
EXIT_PENDING = 3  # changes pending or not converged (plan, drift, check, status, init --plan, render --check)
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM


class EcsenvError(Exception):
    exit_code = EXIT_FAILED


class UserError(EcsenvError):
    """Bad usage or bad input: one clear line, nothing written, exit 2."""

    exit_code = EXIT_USAGE


class OperationFailed(EcsenvError):
    """An AWS or terraform operation failed: exit 1."""

    exit_code = EXIT_FAILED


class Interrupted(EcsenvError):
    """Ctrl-C or SIGTERM in the middle of changes: the message says what already changed and what to run (exit 130)."""

    exit_code = EXIT_INTERRUPTED
