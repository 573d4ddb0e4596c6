# An optional in-memory cache for the environment: an ElastiCache replication group (Valkey by default, or Redis
# OSS), private, encrypted at rest with the environment's key and in transit (clients connect with TLS), reachable
# only from the given security groups.

locals {
  name = "${var.project}-${var.environment}"
  tags = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment })

  # Names AWS limits in length, [full name, limit]: one that is too long keeps a prefix and ends in 6 hex digits of
  # the SHA-256 of the full name (the one rule of docs/stack.md, "Names"; bootstrap/project/validation.aws_name).
  # Replication group ids: 40 (ElastiCache API reference, CreateReplicationGroup).
  limited_names = {
    replication_group = ["${local.name}-cache", 40]
  }
  names = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
}

resource "aws_security_group" "this" {
  name        = "${local.name}-cache"
  description = "${local.name} cache: ${var.port} from the services"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${local.name}-cache" })
}

# count over the list: its length is known when planning even where its values are not.
resource "aws_vpc_security_group_ingress_rule" "clients" {
  count             = length(var.client_cidr_blocks)
  security_group_id = aws_security_group.this.id
  description       = "Cache clients in ${var.client_cidr_blocks[count.index]}"
  cidr_ipv4         = var.client_cidr_blocks[count.index]
  ip_protocol       = "tcp"
  from_port         = var.port
  to_port           = var.port
}

resource "aws_elasticache_subnet_group" "this" {
  name        = "${local.name}-cache"
  description = "${local.name} cache: the private subnets"
  subnet_ids  = var.subnet_ids
  tags        = local.tags
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = local.names.replication_group
  description                = "${local.name} cache"
  engine                     = var.engine
  engine_version             = var.engine_version
  node_type                  = var.node_type
  num_cache_clusters         = var.num_cache_clusters
  port                       = var.port
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  automatic_failover_enabled = var.num_cache_clusters > 1
  multi_az_enabled           = var.num_cache_clusters > 1
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auto_minor_version_upgrade = true
  snapshot_retention_limit   = var.snapshot_retention_days
  apply_immediately          = false
  tags                       = local.tags
}
