"""Benchmark: validate ecsenv.yaml and render every backend config, for 300 and then 600 environments, in one run.

Targets (issue 3): 300 environments in under 1 s; 600 cost at most 2.2x 300 (linear growth).
Measured two ways, each the median of several runs in a fresh directory:
  - the command as a user runs it (`python -m bootstrap render`, interpreter start-up included);
  - the work alone, in-process (load + validate ecsenv.yaml, render, write), which shows the growth unblurred.
Prints numbers and ratios; exits 0 whatever they are (a benchmark reports, it does not assert).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bootstrap.project import render  # noqa: E402
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config  # noqa: E402
from bootstrap.project.config_reader import load_config  # noqa: E402

RUNS = 7  # the sizes are measured interleaved, so load on the machine hits both alike


def make_project(directory, count):
    environments, previous = {}, None
    for index in range(count):
        name = f"env-{index:04d}"
        environments[name] = EnvironmentConfig("123456789012", "us-east-1", promotes_from=previous)
        previous = name
    config = ProjectConfig("bench", StateConfig("123456789012", "us-east-1", "bench-tfstate-123456789012", "both",
                                                "bench-tfstate-lock", None, {"project": "bench"}), environments)
    save_config(config, os.path.join(directory, "ecsenv.yaml"))


def fresh_dir(count):
    directory = tempfile.mkdtemp(prefix=f"ecsenv-bench-{count}-")
    make_project(directory, count)
    return directory


def command_once(count):
    directory = fresh_dir(count)
    try:
        env = dict(os.environ, PYTHONPATH=REPO)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "bootstrap", "-C", directory, "render"], env=env,
                                capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"ecsenv render failed: {result.stderr}")
        assert len(os.listdir(os.path.join(directory, "environments"))) == count + 1
        return elapsed
    finally:
        shutil.rmtree(directory)


def in_process_once(count):
    directory = fresh_dir(count)
    try:
        start = time.perf_counter()
        config = load_config(os.path.join(directory, "ecsenv.yaml"))
        render.write_planned(render.plan_generated_files(config, directory))
        return time.perf_counter() - start
    finally:
        shutil.rmtree(directory)


def medians(once):
    """Median seconds for 300 and 600 environments, the two sizes alternating run by run."""
    samples = {300: [], 600: []}
    for _ in range(RUNS):
        for count in samples:
            samples[count].append(once(count))
    return statistics.median(samples[300]), statistics.median(samples[600])


def main():
    in_process_once(10)  # warm-up: imports and template compilation are not what is measured
    rows = []
    for label, once in (("ecsenv render (command)", command_once),
                        ("load+validate+render+write (in-process)", in_process_once)):
        small, large = medians(once)
        rows.append((label, small, large, large / small))
    print(f"{'measure':<42} {'300 envs':>9} {'600 envs':>9} {'600/300':>8}")
    for label, small, large, ratio in rows:
        print(f"{label:<42} {small:>8.3f}s {large:>8.3f}s {ratio:>7.2f}x")
    command_300, ratio = rows[0][1], rows[1][3]
    print()
    print(f"target: 300 environments under 1 s (command): {command_300:.3f} s "
          f"{'ok' if command_300 < 1 else 'MISS'}")
    print(f"target: 600 cost at most 2.2x 300 (in-process growth): {ratio:.2f}x {'ok' if ratio <= 2.2 else 'MISS'}")


if __name__ == "__main__":
    main()
