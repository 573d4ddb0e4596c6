#!/usr/bin/env bash
# The unit tests against exactly the minimum versions setup.cfg declares: every runtime dependency's `>=` bound
# becomes `==` (botocore==1.39.2, questionary==2.0, ...), the test extra's boto3 is pinned to its floor too (boto3
# pins botocore's minor version, so it must match), the other test tools come at whatever pip resolves beside them.
# Proves the lower bounds are real. Usage: scripts/min-versions.sh [pytest args]   (MIN_VENV=dir to reuse a venv)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${MIN_VENV:-build/min-versions-venv}

# name==floor for each `name>=floor` in install_requires, and boto3 from the test extra
pins=$("$PYTHON" - <<'PY'
import configparser, re
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
runtime = cfg["options"]["install_requires"].split()
tests = cfg["options.extras_require"]["test"].split()
for spec in runtime + [spec for spec in tests if spec.startswith("boto3")]:
    name, floor = re.fullmatch(r"([A-Za-z0-9_.\[\]-]+)>=([0-9][0-9A-Za-z.]*)", spec).groups()
    print(f"{name}=={floor}")
PY
)
others=$("$PYTHON" - <<'PY'
import configparser
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
print(" ".join(s for s in cfg["options.extras_require"]["test"].split() if not s.startswith("boto3")))
PY
)

echo "minimum versions: $(echo $pins | tr '\n' ' ')"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet $pins $others
"$VENV/bin/python" -m pip install --quiet --no-deps -e .
"$VENV/bin/python" -m pip check
# what actually got installed must be the floors (pip would have refused otherwise; printed for the CI log)
"$VENV/bin/python" -m pip freeze | grep -iE "^($(echo "$pins" | sed 's/==.*//' | tr '\n' '|' | sed 's/|$//'))=="
"$VENV/bin/python" -m pytest tests --ignore=tests/e2e -q -p no:cacheprovider "$@"
