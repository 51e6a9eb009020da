"""Executors: run many sandbox jobs at once and hand back their results as they finish.

The local executor runs as many jobs in parallel as the machine allows: one per GPU, or on the CPU one per
``threads`` cores. A job whose folder already holds the result of the very same job is not run again: that is how
a resumed run skips the candidates it had finished before it was killed.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Protocol

from eureka.sandbox.backends.base import SandboxBackend
from eureka.sandbox.protocol import JOB_FILE, RESULT_FILE, Job, Progress, Result, read_model, read_progress

#: ``(job id, the epochs finished since the last call)``, called from the executor's threads
ProgressFn = Callable[[str, list[Progress]], None]
POLL_S = 0.5
#: Job fields that say where a job ran, not what it computed: a resumed run may place it elsewhere.
PLACEMENT = {"device", "threads", "timeout_s", "memory_mb", "gpu_memory_mb"}


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, not the machine's total)."""
    return len(os.sched_getaffinity(0))


def worker_pids() -> set[int]:
    """Sandbox workers running on this machine now (other runs' or trainings' jobs), from /proc."""
    pids = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if b"eureka.sandbox.worker" in args:
            pids.add(int(cmdline.parent.name))
    return pids


def free_cores() -> int:
    """Cores for a new job's threads: the usable ones shared with the workers already running (torch's threads
    spin: two jobs on the same cores ran 10x slower than one thread each), at least one."""
    return max(1, usable_cores() // (1 + len(worker_pids())))


def finished_result(job: Job, job_dir: Path) -> Result | None:
    """The result already in ``job_dir`` if it belongs to exactly ``job`` (same code, seed, budget); else None."""
    before = read_model(job_dir / JOB_FILE, Job)
    if before is None or before.model_dump(exclude=PLACEMENT) != job.model_dump(exclude=PLACEMENT):
        return None
    result = read_model(job_dir / RESULT_FILE, Result)
    return result if result is not None and result.job_id == job.job_id else None


class Executor(Protocol):
    """Runs sandbox jobs, several at once, and yields each result as it finishes (plugins add others)."""

    workers: int  # jobs that run at once (a study's trials go out this many at a time)

    def run(
        self, jobs: list[tuple[Job, Path]], on_progress: ProgressFn | None = None
    ) -> Iterator[tuple[Job, Result]]: ...


class LocalExecutor:
    """Runs jobs on this machine through one sandbox backend, spreading them over ``devices``."""

    name = "local"

    def __init__(self, backend: SandboxBackend, devices: list[str], workers: int | None = None, threads: int = 1):
        """
        Args:
            backend: the sandbox every job runs in.
            devices: torch devices; GPUs get one job each at a time, ``cpu`` is shared by ``workers`` jobs.
            workers: jobs at once; default one per GPU, or ``usable cores // threads`` on the CPU.
            threads: torch threads per job.
        """
        gpus = [d for d in devices if d.startswith("cuda")]
        self.backend = backend
        self.threads = threads
        self.workers = workers or (len(gpus) if gpus else max(1, usable_cores() // threads))
        # A device slot is taken for the whole job: one job per GPU, any number on the CPU.
        self._slots: queue.Queue[str] = queue.Queue()
        for i in range(self.workers):
            self._slots.put(gpus[i % len(gpus)] if gpus else devices[i % len(devices)])

    def _run_one(self, job: Job, job_dir: Path, on_progress: ProgressFn | None) -> Result:
        done = finished_result(job, job_dir)  # placement does not count, so no device is taken to read it back
        if done is not None:
            return done
        device = self._slots.get()
        try:
            job = job.model_copy(update={"device": device, "threads": self.threads})
            if on_progress is None:
                return self.backend.run(job, job_dir)
            stop = threading.Event()
            watcher = threading.Thread(
                target=contextvars.copy_context().run, args=(self.watch, job, job_dir, on_progress, stop), daemon=True
            )
            watcher.start()
            try:
                return self.backend.run(job, job_dir)
            finally:
                stop.set()
                watcher.join()
        finally:
            self._slots.put(device)

    @staticmethod
    def watch(job: Job, job_dir: Path, on_progress: ProgressFn, stop: threading.Event) -> None:
        """Hand ``job``'s new progress lines to ``on_progress`` every ``POLL_S`` until ``stop``, then the last."""
        seen = 0
        while True:
            finished = stop.is_set()  # read before the file, so that the last lines are never missed
            lines = read_progress(job_dir, seen)
            if lines:
                seen += len(lines)
                on_progress(job.job_id, lines)
            if finished:
                return
            stop.wait(POLL_S)

    def run(self, jobs: list[tuple[Job, Path]], on_progress: ProgressFn | None = None) -> Iterator[tuple[Job, Result]]:
        """Run every ``(job, job folder)``; yield ``(job, result)`` in the order they finish.

        The device and thread count of each job are set here. Closing the iterator early waits for the jobs that
        are running (the backends kill them only at their timeouts).
        """
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="eureka-job") as pool:
            # Each job runs in a copy of the caller's context, so that ``on_progress`` sees what the caller sees
            # (LangGraph's stream writer lives in a context variable).
            pending: dict[Future[Result], Job] = {
                pool.submit(contextvars.copy_context().run, self._run_one, job, job_dir, on_progress): job
                for job, job_dir in jobs
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
