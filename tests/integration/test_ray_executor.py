"""The Ray executor on a real Ray cluster that the test starts on this machine: a head and a second node, each a
set of Ray processes with one CPU of its own. Jobs run in the process sandbox on their node."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from eureka.plugins.manager import get_task
from eureka.sandbox.backends.base import SandboxUnavailable
from eureka.sandbox.backends.process import ProcessBackend
from eureka.sandbox.executor import LocalExecutor
from eureka.sandbox.protocol import Job, read_progress
from eureka.sandbox.ray_executor import PLACEMENT_FILE, ClusterError, RayExecutor

pytestmark = pytest.mark.slow
HUMAN = get_task("cartpole").human_reward_source
KILL_WAIT_S = 120.0


def _jobs(root: Path, seeds: range, epochs: int) -> list[tuple[Job, Path]]:
    return [
        (
            Job(job_id=f"s{seed}", task="cartpole", reward_code=HUMAN, seed=seed, epochs=epochs, num_envs=64),
            root / f"s{seed}",
        )
        for seed in seeds
    ]


def _nodes(job_dir: Path) -> list[str]:
    path = job_dir / PLACEMENT_FILE
    return json.loads(path.read_text())["nodes"] if path.exists() else []


def test_jobs_spread_over_both_nodes_with_the_local_executors_curves(ray_cluster, tmp_path):
    cluster, second = ray_cluster
    executor = RayExecutor(ProcessBackend(), cluster.address, ["cpu"])
    assert executor.workers == 2
    remote = {job.job_id: result for job, result in executor.run(_jobs(tmp_path / "ray", range(4), 4))}
    local = {
        job.job_id: result
        for job, result in LocalExecutor(ProcessBackend(), ["cpu"], 2).run(_jobs(tmp_path / "local", range(4), 4))
    }
    assert all(r.ok for r in remote.values()), [r.error for r in remote.values()]
    for job_id, result in remote.items():
        assert result.fitness_curve == local[job_id].fitness_curve and len(result.fitness_curve) == 4
        job_dir = tmp_path / "ray" / job_id
        assert (job_dir / "train" / "policy.pth").stat().st_size > 0 and len(read_progress(job_dir)) == 4
    places = {node for job_id in remote for node in _nodes(tmp_path / "ray" / job_id)}
    assert places == {cluster.head_node.node_id, second.node_id}


def test_a_node_killed_mid_job_loses_nothing(ray_cluster, tmp_path):
    cluster, second = ray_cluster
    executor = RayExecutor(ProcessBackend(), cluster.address, ["cpu"], retries=2)
    jobs = _jobs(tmp_path / "ray", range(2), 25)
    results: dict = {}
    runner = threading.Thread(target=lambda: results.update((j.job_id, r) for j, r in executor.run(jobs)))
    runner.start()
    deadline = time.monotonic() + KILL_WAIT_S
    on_second = None
    while on_second is None:  # a job on the second node that has trained an epoch or more
        assert time.monotonic() < deadline and runner.is_alive(), "no job trained on the second node"
        on_second = next((d for _, d in jobs if _nodes(d) == [second.node_id] and read_progress(d)), None)
        time.sleep(0.2)
    cluster.remove_node(second, allow_graceful=False)  # SIGKILL to every process of the node
    runner.join(timeout=600)
    assert not runner.is_alive()
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert _nodes(on_second) == [second.node_id, cluster.head_node.node_id]
    for job, result in LocalExecutor(ProcessBackend(), ["cpu"], 2).run(_jobs(tmp_path / "local", range(2), 25)):
        assert results[job.job_id].fitness_curve == result.fitness_curve


def test_a_cluster_without_a_gpu_refuses_a_cuda_run_at_start(ray_cluster):
    cluster, _ = ray_cluster
    with pytest.raises(ClusterError, match="no node of the Ray cluster has a GPU"):
        RayExecutor(ProcessBackend(), cluster.address, ["cuda"])


def test_a_node_that_cannot_sandbox_is_named_at_start(ray_cluster):
    class NoSandbox(ProcessBackend):  # defined here so that Ray ships the class itself to the nodes
        """A node where bubblewrap cannot start (the check is the process backend's own message)."""

        def check_available(self) -> None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed; refusing to run LLM-written reward code")

    cluster, _ = ray_cluster
    with pytest.raises(ClusterError, match="cannot sandbox") as error:
        RayExecutor(NoSandbox(), cluster.address, ["cpu"])
    assert str(error.value).count("bubblewrap") == 2  # both nodes named
