"""The README's main job (`make demo` = scripts/demo.sh) goes the whole way on the embedded emulator: init, apply
global_aws / staging / production with the real stack, an image, deploy, promote, and status converged."""

import os
import subprocess
import sys

from conftest import mirror_or_skip, terraform_or_skip

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_make_demo_ends_converged(tmp_path):
    terraform_or_skip()
    mirror_or_skip()
    demo = tmp_path / "demo"
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, DEMO_DIR=str(demo), ECSENV=os.path.join(bin_dir, "ecsenv"), PYTHON=sys.executable)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(name, None)  # the demo must need nothing but its own emulator
    try:
        result = subprocess.run(["bash", os.path.join(REPO, "scripts", "demo.sh")], env=env, capture_output=True,
                                text=True, timeout=1500, stdin=subprocess.DEVNULL)
    finally:
        subprocess.run([env["ECSENV"], "-C", str(demo), "local", "stop"], capture_output=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Converged: code, and every environment, run main's HEAD." in output
    for step in ("Deploy done: web in staging", "Promote done: web in production", "Applied", "pushed acme/web"):
        assert step in output, step
