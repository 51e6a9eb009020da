"""The local executor's placement and reuse logic, with a recording backend (the real ones are tested in
tests/integration)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from eureka.sandbox.backends.base import SandboxBackend, prepare_job_dir
from eureka.sandbox.executor import LocalExecutor, finished_result
from eureka.sandbox.protocol import RESULT_FILE, EpochRecord, Job, Result, Status, write_model


class RecordingBackend(SandboxBackend):
    """Records where each job ran and how many ran at once; writes an ok result."""

    name = "recording"

    def __init__(self) -> None:
        self.devices: dict[str, str] = {}
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def check_available(self) -> None:
        return None

    def run(self, job: Job, job_dir: Path) -> Result:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.devices[job.job_id] = job.device
        time.sleep(0.05)
        prepare_job_dir(job, job_dir)
        result = Result(
            job_id=job.job_id,
            status=Status.OK,
            history=[EpochRecord(epoch=1, fitness=1.0, env_steps=0, wall_time=0.0)],
        )
        write_model(job_dir / RESULT_FILE, result)
        with self.lock:
            self.running -= 1
        return result


def _jobs(tmp_path: Path, n: int) -> list[tuple[Job, Path]]:
    return [(Job(job_id=f"j{i}", task="cartpole", reward_code="code"), tmp_path / f"j{i}") for i in range(n)]


def test_one_job_per_gpu_at_a_time(tmp_path):
    backend = RecordingBackend()
    executor = LocalExecutor(backend, devices=["cuda:0", "cuda:1"])
    done = list(executor.run(_jobs(tmp_path, 6)))
    assert executor.workers == 2 and backend.most == 2 and len(done) == 6
    assert sorted(set(backend.devices.values())) == ["cuda:0", "cuda:1"]


def test_cpu_workers_from_cores_and_threads(tmp_path):
    backend = RecordingBackend()
    executor = LocalExecutor(backend, devices=["cpu"], workers=3, threads=2)
    list(executor.run(_jobs(tmp_path, 7)))
    assert backend.most <= 3 and set(backend.devices.values()) == {"cpu"}


def test_a_finished_job_is_not_run_again_unless_it_changed(tmp_path):
    backend = RecordingBackend()
    executor = LocalExecutor(backend, devices=["cpu"], workers=1)
    jobs = _jobs(tmp_path, 2)
    list(executor.run(jobs))
    backend.devices.clear()
    changed = (jobs[1][0].model_copy(update={"seed": 7}), jobs[1][1])
    list(executor.run([jobs[0], changed]))
    assert list(backend.devices) == ["j1"]  # j0 was read back; j1 has another seed now
    placed_elsewhere = jobs[0][0].model_copy(update={"device": "cuda:3", "threads": 8})
    assert finished_result(placed_elsewhere, jobs[0][1]) is not None
