# Sourced by .ci/run and scripts/demo.sh: finds this machine's offline mirror of the hashicorp/aws provider (no
# registry is reachable here) and exports ECSENV_TF_PROVIDER_MIRROR; leaves it unset when there is none.
if [ -z "${ECSENV_TF_PROVIDER_MIRROR:-}" ]; then
  for candidate in /opt/tf-plugins "$HOME/.terraform.d/plugins"; do
    if [ -d "$candidate/registry.terraform.io/hashicorp/aws" ]; then
      ECSENV_TF_PROVIDER_MIRROR=$candidate
      break
    fi
  done
fi
if [ -z "${ECSENV_TF_PROVIDER_MIRROR:-}" ]; then
  provider=$(find / -path /proc -prune -o -name 'terraform-provider-aws_*' -print 2>/dev/null | head -n 1 || true)
  if [ -n "$provider" ]; then
    # <mirror>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_*
    ECSENV_TF_PROVIDER_MIRROR=$(cd "$(dirname "$provider")/../../../../.." && pwd)
  fi
fi
if [ -n "${ECSENV_TF_PROVIDER_MIRROR:-}" ]; then
  export ECSENV_TF_PROVIDER_MIRROR
fi
