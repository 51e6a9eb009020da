"""The Ray executor's costs beside the local executor's, on this machine.

Per job: a check-only job (compile and dry run, no training) one at a time, so that the difference is the
executor's own overhead (submitting the task, the archive, reading back the result); then a batch of short
trainings, as many at once as there are slots, for a run's wall time. The cluster is a head and a second node on
this machine (Ray's ``cluster_utils``), one CPU each, as in the tests.

Usage: ``python benchmarks/bench_ray.py``; prints Markdown tables for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import ray
from ray.cluster_utils import Cluster

from eureka.plugins.manager import get_task
from eureka.sandbox.backends import ProcessBackend
from eureka.sandbox.executor import Executor, LocalExecutor
from eureka.sandbox.protocol import Job
from eureka.sandbox.ray_executor import RayExecutor

CHECKS = 6
TRAININGS = 4
EPOCHS = 10
HUMAN = get_task("cartpole").human_reward_source


def _jobs(root: Path, count: int, check_only: bool) -> list[tuple[Job, Path]]:
    return [
        (
            Job(
                job_id=f"j{i}",
                task="cartpole",
                reward_code=HUMAN,
                seed=i,
                epochs=EPOCHS,
                num_envs=64,
                check_only=check_only,
            ),
            root / f"j{i}",
        )
        for i in range(count)
    ]


def per_job_seconds(executor: Executor, root: Path) -> list[float]:
    """Each check-only job alone: wall seconds from submission to its result."""
    times = []
    for job, job_dir in _jobs(root, CHECKS, check_only=True):
        start = time.perf_counter()
        [(_, result)] = executor.run([(job, job_dir)])
        assert result.ok, result.error
        times.append(time.perf_counter() - start)
    return times


def batch_seconds(executor: Executor, root: Path) -> float:
    start = time.perf_counter()
    results = [result for _, result in executor.run(_jobs(root, TRAININGS, check_only=False))]
    assert all(r.ok for r in results), [r.error for r in results]
    return time.perf_counter() - start


def main() -> None:
    rows, starts = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalExecutor(ProcessBackend(), ["cpu"], workers=2)
        rows["local"] = per_job_seconds(local, Path(tmp) / "lc"), batch_seconds(local, Path(tmp) / "lt")
        for name, cpus in (("ray, 1 node x 2 CPUs", [2]), ("ray, 2 nodes x 1 CPU", [1, 1])):
            cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": cpus[0], "include_dashboard": False})
            for more in cpus[1:]:
                cluster.add_node(num_cpus=more)
            cluster.wait_for_nodes()
            try:
                start = time.perf_counter()
                remote = RayExecutor(ProcessBackend(), cluster.address, ["cpu"])
                starts[name] = time.perf_counter() - start
                rows[name] = per_job_seconds(remote, Path(tmp) / name / "c"), batch_seconds(remote, Path(tmp) / name)
            finally:
                ray.shutdown()
                cluster.shutdown()
    print(
        "\nRay executor start (connect, probe every node, relay actor): "
        + ", ".join(f"{name}: {seconds:.1f} s" for name, seconds in starts.items())
    )
    print(
        f"\n| executor | check-only job alone, median of {CHECKS} (min-max) | {TRAININGS} cartpole trainings of "
        f"{EPOCHS} epochs, 2 at a time |"
    )
    print("|---|---|---|")
    for name, (checks, batch) in rows.items():
        print(f"| {name} | {statistics.median(checks):.2f} s ({min(checks):.2f}-{max(checks):.2f}) | {batch:.1f} s |")


if __name__ == "__main__":
    main()
