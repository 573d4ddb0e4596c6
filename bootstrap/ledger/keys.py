"""The key layout under the state bucket's `ecsenv/` prefix, in one place: the IAM policies of environments/global_aws
grant exactly these prefixes (docs/stack.md lists them; tests/test_stack_contract.py holds both sides together).

- `ecsenv/applied/<env>/latest.json` and `<sha>.json`: what was applied where (promotion checks `<sha>.json`);
- `ecsenv/deployed/<env>/<sequence>-<sha>-<nonce>/started.json` and `.../ended.json`: every deploy attempt (deploy,
  rollback, promote), recorded when it starts (before any service is updated) and when it ends, with its outcome.
  Versions before this one wrote `ecsenv/deployed/<env>/<time>-<sha>.json` after a successful deploy;
- `ecsenv/deploy-locks/<env>.json`: one deploy per environment at a time."""

ROOT = "ecsenv"
APPLIED_PREFIX = f"{ROOT}/applied"
DEPLOYED_PREFIX = f"{ROOT}/deployed"
LOCK_PREFIX = f"{ROOT}/deploy-locks"
STARTED, ENDED = "started.json", "ended.json"  # the two records of a deploy attempt


def applied_key(environment, name):
    """`name`: a commit SHA, or "latest"."""
    return f"{APPLIED_PREFIX}/{environment}/{name}.json"


def history_prefix(environment):
    return f"{DEPLOYED_PREFIX}/{environment}/"


def attempt_key(environment, attempt, record):
    """`record`: STARTED or ENDED."""
    return f"{history_prefix(environment)}{attempt}/{record}"


def lock_key(environment):
    return f"{LOCK_PREFIX}/{environment}.json"


def environment_prefixes(environment):
    """Every prefix (or key) the ledger writes for one environment."""
    return f"{APPLIED_PREFIX}/{environment}/", history_prefix(environment), lock_key(environment)
