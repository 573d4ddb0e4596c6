# The environment's shared infrastructure: network (VPC over two AZs), the public load balancer, the ECS cluster,
# its log group and the environment's KMS key (logs, secrets, ECS exec sessions).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# The region's real zones: zone names map to different physical zones per account, and not every region (or
# account) has an "a" and a "b". Only standard zones (zone-type availability-zone), not Local or Wavelength Zones
# (EC2 API reference, DescribeAvailabilityZones filters). Names come back sorted, so the first two stay the same.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-type"
    values = ["availability-zone"]
  }
}

locals {
  name = "${var.project}-${var.environment}"
  azs  = length(var.availability_zones) > 0 ? var.availability_zones : slice(sort(data.aws_availability_zones.available.names), 0, 2)


  # Names AWS limits in length never lose their end by truncation (two long names would collide): a name that is
  # too long keeps a prefix and ends in 6 hex digits of the SHA-256 of the full name (the one rule of
  # docs/stack.md, "Names"; bootstrap/project/validation.aws_name), [full name, limit]. Load balancer names: at
  # most 32 characters, not ending with a hyphen (ELB API reference, CreateLoadBalancer); IAM role names: 64.
  limited_names = {
    alb       = [local.name, 32]
    flow_logs = ["${local.name}-flow-logs", 64]
  }
  names          = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
  alb_name       = local.names.alb
  flow_logs_role = local.names.flow_logs
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  region         = data.aws_region.current.name
  # HTTPS: a certificate ARN given by hand, or the ACM certificate of domain_name once it can be validated (the
  # validation records are in the Route53 zone, or created by hand and confirmed).
  acm_certificate = var.certificate_arn == "" && var.domain_name != ""
  acm_validated   = local.acm_certificate && (var.route53_zone_id != "" || var.certificate_validation_records_created)
  https           = var.certificate_arn != "" || local.acm_validated
  certificate_arn = var.certificate_arn != "" ? var.certificate_arn : (local.acm_validated ? aws_acm_certificate_validation.this[0].certificate_arn : "")
  domain_names    = concat([var.domain_name], var.subject_alternative_names)
  tags            = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment })
}

# --- KMS: one customer-managed key per environment --------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "${local.name}: CloudWatch logs, Secrets Manager secrets, ECS exec"
  deletion_window_in_days = 30
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsUse"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
    ]
  })
  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

# --- Network ----------------------------------------------------------------------------------------------------

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = local.name })
}

# Take over the VPC's default security group and leave it without rules: nothing should use it.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${local.name}-default-unused" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = local.name })
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  map_public_ip_on_launch = false # only the load balancer and the NAT gateway live here; neither needs it
  tags                    = merge(local.tags, { Name = "${local.name}-public-${local.azs[count.index]}", "ecsenv:tier" = "public" })
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, count.index + 10)
  tags              = merge(local.tags, { Name = "${local.name}-private-${local.azs[count.index]}", "ecsenv:tier" = "private" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${local.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  count  = var.enable_nat_gateway ? 1 : 0
  domain = "vpc"
  tags   = merge(local.tags, { Name = "${local.name}-nat" })
}

resource "aws_nat_gateway" "this" {
  count         = var.enable_nat_gateway ? 1 : 0
  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = merge(local.tags, { Name = local.name })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${local.name}-private" })
}

resource "aws_route" "private_nat" {
  count                  = var.enable_nat_gateway ? 1 : 0
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  count             = var.enable_flow_logs ? 1 : 0
  name              = "/vpc/${local.name}/flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_iam_role" "flow_logs" {
  count = var.enable_flow_logs ? 1 : 0
  name  = local.flow_logs_role
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.enable_flow_logs ? 1 : 0
  name  = "write-flow-logs"
  role  = aws_iam_role.flow_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = "${aws_cloudwatch_log_group.flow_logs[0].arn}:*"
    }]
  })
}

resource "aws_flow_log" "this" {
  count                = var.enable_flow_logs ? 1 : 0
  vpc_id               = aws_vpc.this.id
  traffic_type         = "REJECT"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn         = aws_iam_role.flow_logs[0].arn
  tags                 = local.tags
}

# --- Security groups --------------------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "${local.name} load balancer: HTTP(S) from the allowed CIDRs"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  for_each          = toset(var.alb_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP (redirected to HTTPS when a certificate is configured)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = local.https ? toset(var.alb_ingress_cidrs) : toset([])
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_security_group" "services" {
  name        = "${local.name}-services"
  description = "${local.name} ECS tasks: from the load balancer on the services' ports; out to HTTPS and the VPC"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-services" })
}

# The load balancer reaches the tasks only on the public services' container ports. The rules name the subnets'
# CIDR blocks (the load balancer lives in the public subnets, the tasks in the private ones); keys are port and
# zone, both known when planning.
locals {
  service_port_zones = { for pair in setproduct(distinct(var.service_ports), [0, 1]) : "${pair[0]}-${pair[1]}" => { port = pair[0], zone = pair[1] } }
}

resource "aws_vpc_security_group_egress_rule" "alb_to_services" {
  for_each          = local.service_port_zones
  security_group_id = aws_security_group.alb.id
  description       = "To the services' tasks on ${each.value.port} in ${aws_subnet.private[each.value.zone].availability_zone}"
  cidr_ipv4         = aws_subnet.private[each.value.zone].cidr_block
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_ingress_rule" "services_from_alb" {
  for_each          = local.service_port_zones
  security_group_id = aws_security_group.services.id
  description       = "From the load balancer in ${aws_subnet.public[each.value.zone].availability_zone} on ${each.value.port}"
  cidr_ipv4         = aws_subnet.public[each.value.zone].cidr_block
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "services_https" {
  security_group_id = aws_security_group.services.id
  description       = "HTTPS out: ECR, Secrets Manager, CloudWatch Logs and the services' own APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "services_in_vpc" {
  security_group_id = aws_security_group.services.id
  description       = "Anything inside the VPC (databases, caches, other services)"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "-1"
}

# --- Load balancer ----------------------------------------------------------------------------------------------

resource "aws_lb" "this" {
  name                       = local.alb_name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = aws_subnet.public[*].id
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  tags                       = local.tags
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = local.https ? "redirect" : "fixed-response"

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }

    dynamic "fixed_response" {
      for_each = local.https ? [] : [1]
      content {
        content_type = "text/plain"
        message_body = "Not found"
        status_code  = "404"
      }
    }
  }

  tags = local.tags
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }

  tags = local.tags
}

# --- Certificate and DNS (optional: domain_name) -----------------------------------------------------------------

# DNS validation: ACM issues the certificate once a CNAME per domain exists
# (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). With route53_zone_id Terraform writes
# them; without, output certificate_validation_records lists them for whoever runs the DNS.
resource "aws_acm_certificate" "this" {
  count                     = local.acm_certificate ? 1 : 0
  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"
  key_algorithm             = "RSA_2048"
  tags                      = merge(local.tags, { Name = var.domain_name })

  lifecycle {
    create_before_destroy = true # the listener keeps a valid certificate while a replacement is issued
  }
}

locals {
  validation_records = local.acm_certificate ? {
    for option in aws_acm_certificate.this[0].domain_validation_options : option.domain_name => {
      name  = option.resource_record_name
      type  = option.resource_record_type
      value = option.resource_record_value
    }
  } : {}
}

# Keyed by the configured names (known at plan time), not by the certificate's computed options. A wildcard and its
# apex share one record: allow_overwrite lets the second write the same value.
resource "aws_route53_record" "validation" {
  for_each        = local.acm_certificate && var.route53_zone_id != "" ? toset(local.domain_names) : toset([])
  zone_id         = var.route53_zone_id
  name            = local.validation_records[each.value].name
  type            = local.validation_records[each.value].type
  records         = [local.validation_records[each.value].value]
  ttl             = 300
  allow_overwrite = true
}

# Waits (up to the timeout) until ACM reports the certificate ISSUED; the HTTPS listener uses its ARN.
resource "aws_acm_certificate_validation" "this" {
  count                   = local.acm_validated ? 1 : 0
  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = var.route53_zone_id != "" ? [for record in aws_route53_record.validation : record.fqdn] : null

  timeouts {
    create = "45m"
  }
}

# The domain's names (not wildcards) point at the load balancer, when the zone is Terraform's to write.
resource "aws_route53_record" "alias" {
  for_each = var.route53_zone_id != "" && var.domain_name != "" ? toset([for name in local.domain_names : name if !startswith(name, "*")]) : toset([])
  zone_id  = var.route53_zone_id
  name     = each.value
  type     = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

# --- ECS cluster and its logs -----------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = var.enable_container_insights ? "enabled" : "disabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = aws_kms_key.this.arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.this.name
      }
    }
  }

  tags = local.tags
}
