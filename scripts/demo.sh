#!/usr/bin/env bash
# The main job, end to end, on the embedded local AWS emulator (what `make demo` runs):
#   an empty git repository -> ecsenv init --scaffold (the bucket, the table, and the whole stack written from
#   ecsenv's own copy) -> apply global_aws, staging -> an image pushed to the
#   emulator's ECR -> deploy staging -> apply production -> promote production -> status: converged.
# Everything happens in build/demo (a git repo of its own); the emulator keeps running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ECSENV=${ECSENV:-"$REPO/.venv/bin/ecsenv"}
PYTHON=${PYTHON:-"$REPO/.venv/bin/python"}
DEMO=${DEMO_DIR:-build/demo}
AUX=$(mktemp -d)  # answers, plan logs, terraform's CLI config: outside the demo's git repository
trap 'rm -rf "$AUX"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$DEMO"
cd "$DEMO"
step "A project: an empty git repository"
if [ ! -d .git ]; then
  git init -q -b main
  git config user.name "ecsenv demo"
  git config user.email "demo@example.invalid"
fi
rm -rf modules environments  # a re-run starts from the first day again (the emulator starts empty too)

step "The embedded emulator"
"$ECSENV" local start

step "ecsenv init --scaffold: the hardened state bucket and lock table, and the stack (the wizard's defaults)"
cat > "$AUX/answers.yaml" <<'ANSWERS'
project: acme
environments: [staging, production]
ANSWERS
"$ECSENV" --local init --answers "$AUX/answers.yaml" --yes --scaffold
git add -A && git commit -q -m "ecsenv demo: project" || true

# Terraform needs the provider: the offline mirror when this machine has one, else the registry.
. "$REPO/scripts/provider-mirror.sh"
if [ -n "${ECSENV_TF_PROVIDER_MIRROR:-}" ]; then
  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$ECSENV_TF_PROVIDER_MIRROR" \
    > "$AUX/terraform.rc"
  export TF_CLI_CONFIG_FILE="$AUX/terraform.rc"
fi

for env in global_aws staging; do
  step "ecsenv plan + apply $env"
  "$ECSENV" --local plan "$env" > "$AUX/plan-$env.log" || [ $? -eq 3 ]
  tail -n 2 "$AUX/plan-$env.log"
  "$ECSENV" --local apply "$env" | tail -n 2
done

SHA=$(git rev-parse HEAD)
step "An image for commit ${SHA:0:12}, pushed to the emulator's ECR"
"$PYTHON" "$REPO/scripts/push_demo_image.py" "$(cat .ecsenv/local.json)" acme/web "$SHA"

step "ecsenv secret set staging APP_SECRET_KEY (the value from stdin, never the command line)"
head -c 24 /dev/urandom | base64 | "$ECSENV" --local secret set staging APP_SECRET_KEY

step "ecsenv deploy staging --sha ${SHA:0:12}"
"$ECSENV" --local deploy staging --sha "$SHA" --timeout 120

step "ecsenv plan + apply production (allowed: staging applied this commit)"
"$ECSENV" --local plan production > "$AUX/plan-production.log" || [ $? -eq 3 ]
tail -n 2 "$AUX/plan-production.log"
"$ECSENV" --local apply production | tail -n 2

head -c 24 /dev/urandom | base64 | "$ECSENV" --local secret set production APP_SECRET_KEY

step "ecsenv promote production: exactly what staging runs"
"$ECSENV" --local promote production --timeout 120

step "ecsenv status"
"$ECSENV" --local status
printf '\nThe demo project is %s. Stop the emulator with: %s -C %s local stop\n' "$DEMO" "$ECSENV" "$DEMO"
