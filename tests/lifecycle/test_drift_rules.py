"""What counts as drift in a refresh-only plan (bootstrap/lifecycle/drift.py): pure, on plan JSON shaped as
`terraform show -json` prints it (the shapes below are taken from a refresh-only plan of environments/staging
right after its first apply on the emulator, trimmed)."""

from bootstrap.lifecycle.drift import split_drift

SG_ID = "sg-0f1e2d3c4b5a69788"
ROUTE_TABLE_ID = "rtb-7a6b5c4d3e2f10011"
ROLE = "shop-qa-web-execution"
ALLOCATION_ID = "eipalloc-5e4d3c2b1a0f9e8d7"
TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-north-1:000000000000:targetgroup/shop-qa-web/0a1b2c3d4e5f6a7b"

INGRESS_RULE = {"cidr_blocks": ["10.40.0.0/24"], "description": "from the load balancer", "from_port": 8080,
                "to_port": 8080, "protocol": "tcp", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                "security_groups": [], "self": False}


def drift(address, resource_type, before, after, actions=("update",)):
    return {"address": address, "type": resource_type,
            "change": {"actions": list(actions), "before": before, "after": after}}


def state(*resources):
    return {"values": {"root_module": {"resources": [], "child_modules": [
        {"resources": [{"address": f"module.m.{kind}.x{i}", "type": kind, "values": values}
                       for i, (kind, values) in enumerate(resources)]}]}}}


COMPANIONS_IN_STATE = state(
    ("aws_vpc_security_group_ingress_rule", {"security_group_id": SG_ID, "from_port": 8080}),
    ("aws_route", {"route_table_id": ROUTE_TABLE_ID, "destination_cidr_block": "0.0.0.0/0"}),
    ("aws_iam_role_policy", {"role": ROLE, "name": "start-task"}),
    ("aws_nat_gateway", {"allocation_id": ALLOCATION_ID, "secondary_allocation_ids": []}),
    ("aws_lb_listener", {"default_action": [{"type": "forward", "target_group_arn": TARGET_GROUP_ARN}]}),
)

FIRST_REFRESH = [
    drift("module.m.aws_security_group.services", "aws_security_group",
          {"id": SG_ID, "ingress": [], "egress": []}, {"id": SG_ID, "ingress": [INGRESS_RULE], "egress": []}),
    drift("module.m.aws_route_table.private", "aws_route_table",
          {"id": ROUTE_TABLE_ID, "route": []}, {"id": ROUTE_TABLE_ID, "route": [{"cidr_block": "0.0.0.0/0"}]}),
    drift("module.m.aws_iam_role.execution", "aws_iam_role",
          {"id": ROLE, "name": ROLE, "inline_policy": []},
          {"id": ROLE, "name": ROLE, "inline_policy": [{"name": "start-task", "policy": "{}"}]}),
    drift("module.m.aws_eip.nat", "aws_eip",
          {"id": ALLOCATION_ID, "association_id": "", "private_dns": None, "private_ip": ""},
          {"id": ALLOCATION_ID, "association_id": "eipassoc-1", "private_dns": "ip-10-40-9-9.internal",
           "private_ip": "10.40.9.9"}),
    drift("module.m.aws_nat_gateway.this", "aws_nat_gateway",
          {"id": "nat-1", "secondary_allocation_ids": None}, {"id": "nat-1", "secondary_allocation_ids": []}),
    drift("module.m.aws_lb_target_group.web", "aws_lb_target_group",
          {"id": TARGET_GROUP_ARN, "arn": TARGET_GROUP_ARN, "load_balancer_arns": []},
          {"id": TARGET_GROUP_ARN, "arn": TARGET_GROUP_ARN, "load_balancer_arns": ["arn:aws:...:loadbalancer/x"]}),
]


def test_attributes_companion_resources_fill_in_after_a_first_apply_are_not_drift():
    assert split_drift({"resource_drift": FIRST_REFRESH, "prior_state": COMPANIONS_IN_STATE}) == ([], [])


def test_without_the_companion_in_state_the_same_change_is_drift():
    real, _ = split_drift({"resource_drift": FIRST_REFRESH[:1], "prior_state": state()})
    assert real == [("module.m.aws_security_group.services", ["ingress"])]


def test_a_companion_of_another_resource_does_not_excuse_this_one():
    other = state(("aws_vpc_security_group_ingress_rule", {"security_group_id": "sg-other"}))
    real, _ = split_drift({"resource_drift": FIRST_REFRESH[:1], "prior_state": other})
    assert real == [("module.m.aws_security_group.services", ["ingress"])]


def test_a_rule_added_by_hand_to_a_filled_in_group_is_drift():
    by_hand = dict(INGRESS_RULE, cidr_blocks=["0.0.0.0/0"], from_port=22, to_port=22)
    entry = drift("module.m.aws_security_group.services", "aws_security_group",
                  {"id": SG_ID, "ingress": [INGRESS_RULE]}, {"id": SG_ID, "ingress": [INGRESS_RULE, by_hand]})
    real, _ = split_drift({"resource_drift": [entry], "prior_state": COMPANIONS_IN_STATE})
    assert real == [("module.m.aws_security_group.services", ["ingress"])]


def test_a_managed_attribute_changed_next_to_a_companion_one_is_reported_alone():
    entry = drift("module.m.aws_iam_role.execution", "aws_iam_role",
                  {"id": ROLE, "name": ROLE, "inline_policy": [], "max_session_duration": 3600},
                  {"id": ROLE, "name": ROLE, "inline_policy": [{"name": "x"}], "max_session_duration": 43200})
    real, _ = split_drift({"resource_drift": [entry], "prior_state": COMPANIONS_IN_STATE})
    assert real == [("module.m.aws_iam_role.execution", ["max_session_duration"])]


def test_a_resource_deleted_outside_terraform_is_drift():
    entry = drift("module.m.aws_route_table.private", "aws_route_table", {"id": ROUTE_TABLE_ID}, None,
                  actions=("delete",))
    real, _ = split_drift({"resource_drift": [entry], "prior_state": COMPANIONS_IN_STATE})
    assert real == [("module.m.aws_route_table.private", ["delete"])]


def test_task_definition_changes_made_by_deploys_are_not_drift():
    plan = {"resource_drift": [
        {"address": "module.deployment.module.service[\"web\"].aws_ecs_service.this", "type": "aws_ecs_service",
         "change": {"actions": ["update"], "before": {"task_definition": "web:3", "desired_count": 1},
                    "after": {"task_definition": "web:5", "desired_count": 1}}},
        {"address": "aws_s3_bucket.assets", "type": "aws_s3_bucket",
         "change": {"actions": ["update"], "before": {"tags": {"a": "1"}}, "after": {"tags": {"a": "2"}}}},
        {"address": "aws_ecs_service.scaled", "type": "aws_ecs_service",
         "change": {"actions": ["update"], "before": {"task_definition": "x:1", "desired_count": 1},
                    "after": {"task_definition": "x:2", "desired_count": 4}}},
    ]}
    real, deploys = split_drift(plan)
    assert deploys == [("module.deployment.module.service[\"web\"].aws_ecs_service.this", ["task_definition"])]
    assert real == [("aws_s3_bucket.assets", ["tags"]),
                    ("aws_ecs_service.scaled", ["desired_count", "task_definition"])]
