"""What counts as drift in a refresh-only plan (`terraform show -json` of `plan -refresh-only`).

A refresh-only plan lists in `resource_drift` every resource whose real object differs from the state. Three kinds
of difference are not a change made behind Terraform's back, and are left out:

1. Empty written differently: null, "", [] and {} are the same absence (the provider stores a NAT gateway's
   `secondary_allocation_ids` as null at creation and reads it back as []).
2. Attributes filled in by a companion resource. Some resources have an attribute that another resource manages:
   a security group's `ingress`/`egress` (security-group rule resources), a route table's `route` (`aws_route`), a
   role's `inline_policy` (`aws_iam_role_policy`), an Elastic IP's association (a NAT gateway), a target group's
   `load_balancer_arns` (the listener forwarding to it). At creation the attribute is stored empty; the companion is
   created after it, so the next refresh reads it filled in. That is Terraform's own doing (the provider documents
   that the inline and the separate form must not be mixed, e.g.
   https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group). The rule: an
   attribute listed in COMPANIONS whose stored value was EMPTY and whose companion resource, present in the same
   state, refers to this resource (its id, ARN or name appears among the companion's values). A change from one
   non-empty value to another is always reported, so a rule added by hand after the first refresh still shows;
   a rule added by hand before the first refresh after creation hides behind its companions (a refresh, which any
   later apply makes, closes that window).
3. What deploys change on purpose: an ECS service's task definition (DEPLOY_OWNED; Terraform ignores it, see
   modules/container-generic). Listed apart, as expected."""

# What deploys change on purpose: the service's task definition (Terraform ignores it, see modules/container-generic).
DEPLOY_OWNED = {"aws_ecs_service": {"task_definition"}}

_SECURITY_GROUP_RULES = ("aws_security_group_rule",)
_ROLE_POLICIES = {"inline_policy": ("aws_iam_role_policy",),
                  "managed_policy_arns": ("aws_iam_role_policy_attachment",)}
_EIP_ASSOCIATION = ("aws_nat_gateway", "aws_eip_association")

# resource type -> {attribute: companion resource types that fill it in}
COMPANIONS = {
    "aws_security_group": {"ingress": (*_SECURITY_GROUP_RULES, "aws_vpc_security_group_ingress_rule"),
                           "egress": (*_SECURITY_GROUP_RULES, "aws_vpc_security_group_egress_rule")},
    "aws_route_table": {"route": ("aws_route",)},
    "aws_default_route_table": {"route": ("aws_route",)},
    "aws_network_acl": {"ingress": ("aws_network_acl_rule",), "egress": ("aws_network_acl_rule",)},
    "aws_iam_role": _ROLE_POLICIES,
    "aws_eip": {name: _EIP_ASSOCIATION for name in ("association_id", "instance", "network_interface",
                                                     "private_ip", "private_dns")},
    "aws_lb_target_group": {"load_balancer_arns": ("aws_lb_listener", "aws_lb_listener_rule")},
}


def split_drift(plan_json):
    """(real drift, deploy-made drift) from a refresh-only plan: (address, sorted changed attributes) each."""
    state = list(_state_resources(plan_json.get("prior_state", {}).get("values", {}).get("root_module", {})))
    real, deploys = [], []
    for entry in plan_json.get("resource_drift", []):
        change = entry.get("change", {})
        actions = change.get("actions")
        if actions in (["no-op"], ["read"]):
            continue
        if actions != ["update"]:  # deleted (or replaced) outside Terraform
            real.append((entry["address"], actions))
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        changed = sorted(key for key in set(before) | set(after)
                         if _normal(before.get(key)) != _normal(after.get(key)))
        changed = [key for key in changed if not _filled_by_companion(entry.get("type"), key, before, state)]
        if not changed:
            continue
        if set(changed) <= DEPLOY_OWNED.get(entry.get("type"), set()):
            deploys.append((entry["address"], changed))
        else:
            real.append((entry["address"], changed))
    return real, deploys


def _normal(value):
    """A value with every kind of empty made one (None), recursively."""
    if isinstance(value, dict):
        value = {key: _normal(item) for key, item in value.items()}
        value = {key: item for key, item in value.items() if item is not None}
    elif isinstance(value, list):
        value = [_normal(item) for item in value]
    return None if value in ("", [], {}, None) else value


def _filled_by_companion(resource_type, attribute, before, state):
    companions = COMPANIONS.get(resource_type, {}).get(attribute)
    if not companions or _normal(before.get(attribute)) is not None:
        return False
    identities = {before.get(key) for key in ("id", "arn", "name")} - {None, ""}
    return any(resource.get("type") in companions and identities & set(_strings(resource.get("values")))
               for resource in state)


def _state_resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _state_resources(child)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
