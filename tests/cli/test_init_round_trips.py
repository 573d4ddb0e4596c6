"""`ecsenv init` in few round trips (issue 15), counted by the recording layer in front of the emulator: a fresh
init in at most 6 sequential steps (STS beside the first reads, the bucket's settings put side by side, no
read-back), a converged re-run in at most 2 (and no write)."""

from conftest import write_answers

from bootstrap.cli import main
from bootstrap.local.recorder import describe, sequential_steps

ANSWERS = """\
project: roundtrip
region: us-east-1
environments: [staging, production]
locking: both
kms_key_id: null
bucket: roundtrip-tfstate-913857204611
lock_table: roundtrip-tfstate-lock
tags: {project: roundtrip, team: ops}
"""
WRITE_METHODS = ("PUT", "POST", "DELETE")


def init(capsys, project_dir, *extra):
    code = main(["init", "--answers", write_answers(project_dir, ANSWERS), "--yes", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_fresh_init_takes_at_most_six_sequential_steps(recorded, project_dir, capsys):
    init(capsys, project_dir)
    requests = recorded.requests
    assert sequential_steps(requests) <= 6, describe(requests) + ": " + ", ".join(r.operation for r in requests)
    print(describe(requests))
    operations = [request.operation for request in requests]
    assert operations.count("GetCallerIdentity") == 1
    # no read-back: after the creates, nothing is read again
    reads_after = [r for r in requests if r.start > max(q.end for q in requests if q.operation == "CreateTable")
                   and r.method == "GET"]
    assert reads_after == []


def test_converged_init_takes_at_most_two_sequential_steps_and_writes_nothing(recorded, project_dir, capsys):
    init(capsys, project_dir)
    recorded.clear()
    assert "Converged" in init(capsys, project_dir)
    requests = recorded.requests
    assert sequential_steps(requests) <= 2, describe(requests)
    writes = [r for r in requests if r.service == "s3" and r.method in WRITE_METHODS or r.operation in (
        "CreateTable", "UpdateTable", "UpdateContinuousBackups", "TagResource")]
    assert writes == []
    recorded.clear()  # from ecsenv.yaml alone (no answers file): the same
    assert main(["init", "--yes"]) == 0, capsys.readouterr().err
    assert sequential_steps(recorded.requests) <= 2, describe(recorded.requests)
