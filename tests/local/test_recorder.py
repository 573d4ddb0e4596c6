"""The recording layer counts requests and sequential steps: requests that overlap in time are one step."""

from concurrent.futures import ThreadPoolExecutor

import boto3

from bootstrap.local.recorder import Recorded, describe, sequential_steps


def at(start, end):
    return Recorded("s3", "GET", "GET", "/", start, end)


def test_overlapping_requests_are_one_step_and_a_chain_counts_each_link():
    assert sequential_steps([]) == 0
    assert sequential_steps([at(0, 1), at(0.5, 1.5), at(0.9, 2)]) == 1
    assert sequential_steps([at(0, 1), at(1, 2), at(2, 3)]) == 3
    # a long request beside a chain of three does not shorten the chain (the critical path counts)
    assert sequential_steps([at(0, 3), at(0, 1), at(1.1, 2), at(2.1, 3)]) == 3
    assert describe([at(0, 1), at(2, 3)]) == "2 requests in 2 sequential steps"


def test_the_layer_records_operations_and_overlap(recorded):
    s3 = boto3.client("s3", region_name="us-east-1")
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    sts = boto3.client("sts", region_name="us-east-1")
    s3.create_bucket(Bucket="recorder-probe-bucket")
    recorded.clear()
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda call: call(), [
            lambda: s3.get_bucket_versioning(Bucket="recorder-probe-bucket"),
            lambda: ddb.list_tables(),
            lambda: sts.get_caller_identity()]))
    sts.get_caller_identity()
    requests = recorded.requests
    assert sorted(request.operation for request in requests) == [
        "GET ?versioning", "GetCallerIdentity", "GetCallerIdentity", "ListTables"]
    assert {request.service for request in requests} == {"s3", "dynamodb", "sts"}
    assert sequential_steps(requests) == 2
