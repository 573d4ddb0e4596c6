"""What a plan changes, counted: from terraform's own closing lines (cheap) or from `terraform show -json`."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PlanSummary:
    """What a plan counts. Whether it changes anything at all is terraform's exit code (PlanResult.changes): a plan
    that only changes outputs, or only forgets resources, counts nothing here yet is not "No changes"."""
    add: int
    change: int
    destroy: int
    imports: int
    resources: tuple  # (address, actions) of every resource with a change
    forget: int = 0

    @property
    def counts_anything(self):
        return bool(self.add or self.change or self.destroy or self.imports or self.forget)

    def __str__(self):
        text = f"{self.add} to add, {self.change} to change, {self.destroy} to destroy"
        if self.imports:
            text = f"{self.imports} to import, {text}"
        return f"{text}, {self.forget} to forget" if self.forget else text


ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY = re.compile(r"^Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy"
                     r"(?:, (\d+) to forget)?\.", re.M)
RESOURCE = re.compile(r"^\s*# (.+?) (?:will|must) (?:be )?(created|updated in-place|destroyed|replaced|imported|"
                      r"no longer be managed by Terraform)", re.M)
ACTIONS = {"created": "create", "updated in-place": "update", "destroyed": "delete", "replaced": "delete/create",
           "imported": "import", "no longer be managed by Terraform": "forget"}


def summarise_output(output):
    """The summary from terraform's own closing lines ("Plan: 1 to add, ..." or "No changes."), or None when they
    are not there. Reading the output costs nothing; `terraform show -json` would load every provider's schema
    again (seconds, for the AWS provider) just to count. Only counts: terraform's exit code says whether anything
    changes ("Changes to Outputs" alone has no "Plan:" line)."""
    text = ANSI.sub("", output)
    resources = tuple((address, ACTIONS[verb]) for address, verb in RESOURCE.findall(text))
    match = SUMMARY.search(text)
    if match:
        imports, add, change, destroy, forget = (int(group or 0) for group in match.groups())
        # terraform 1.11 prints no "to forget" count: the resources it no longer manages are counted here
        forget = max(forget, sum(action == "forget" for _, action in resources))
        return PlanSummary(add, change, destroy, imports, resources, forget)
    if re.search(r"^(No changes\.|Changes to Outputs:)", text, re.M):
        return PlanSummary(0, 0, 0, 0, ())
    return None


def summarise(plan_json):
    """Counts the way terraform's own summary does: a replacement is one add and one destroy."""
    add = change = destroy = imports = forget = 0
    resources = []
    for resource in plan_json.get("resource_changes", []):
        actions = resource.get("change", {}).get("actions", [])
        importing = bool(resource.get("change", {}).get("importing"))
        imports += importing
        if actions in (["no-op"], ["read"]):
            if importing:
                resources.append((resource["address"], "import"))
            continue
        add += "create" in actions
        destroy += "delete" in actions
        change += actions == ["update"]
        forget += actions == ["forget"]
        resources.append((resource["address"], "/".join(actions)))
    return PlanSummary(add, change, destroy, imports, tuple(resources), forget)
