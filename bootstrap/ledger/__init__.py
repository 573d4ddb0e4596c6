"""Everything ecsenv keeps under the state bucket's `ecsenv/` prefix: `keys` (the key layout, which the IAM
policies of environments/global_aws grant exactly), `records` (what was applied where), `history` (every deploy
attempt), `lock` (one deploy per environment at a time), `inventory` (what one environment has there), on `objects`
(JSON objects in the bucket).

Times come from the bucket (LastModified, the Date of its answers), never from this machine's clock. The bucket's
versioning keeps every earlier record."""
