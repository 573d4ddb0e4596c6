"""What `ecsenv check` reports: a `Finding` (file:line: message) of one kind."""

from dataclasses import dataclass

MISSING_ARGUMENT = "missing-argument"
UNKNOWN_ARGUMENT = "unknown-argument"
MISSING_MODULE = "missing-module"
INCONSISTENT_ARGUMENTS = "inconsistent-arguments"
MISSING_DEPLOYMENT = "missing-deployment"
BACKEND_CONFIG = "backend-config"
ROOT_DIFFERS = "root-differs"


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project directory
    line: int  # 1-based
    kind: str
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


def by_place(finding):
    """Sort key: by file and line."""
    return finding.path, finding.line, finding.kind, finding.message
