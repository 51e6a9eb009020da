"""What every sandbox backend shares: the interface, the job folder set-up and reading back the outcome."""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from eureka.sandbox.protocol import JOB_FILE, RESULT_FILE, Job, Result, Status, read_model, write_model
from eureka.sandbox.untrusted import LogTail, write_new

#: The worker's stdout and stderr, kept in the job folder: its last LOG_BYTES, of which the last LOG_TAIL_CHARS
#: go into the error of a worker that died.
WORKER_LOG = "worker.log"
LOG_BYTES = 64 << 10
LOG_TAIL_CHARS = 1500


class SandboxUnavailable(RuntimeError):
    """The backend cannot isolate code on this machine; the message says why and what to do."""


class SandboxBackend(ABC):
    """Runs a Job in isolation and returns its Result; never raises because of what the candidate did."""

    #: registry name (``--sandbox NAME``)
    name: str

    @abstractmethod
    def check_available(self) -> None:
        """Raise SandboxUnavailable, with the reason and the remedy, if this backend cannot run here."""

    @abstractmethod
    def run(self, job: Job, job_dir: Path) -> Result:
        """Run ``job`` with ``job_dir`` as its only writable folder; block until it ends."""


#: one key per running job -> how to kill its worker now; what ``stop_running_jobs`` kills on Ctrl-C or SIGTERM.
#: Plain dict operations only: a signal handler reads it while the thread it interrupted may be writing it.
_RUNNING: dict[object, Callable[[], None]] = {}


@contextmanager
def stoppable(kill: Callable[[], None]) -> Iterator[None]:
    """While the body runs, ``stop_running_jobs`` can kill the job's worker with ``kill``."""
    key = object()
    _RUNNING[key] = kill
    try:
        yield
    finally:
        _RUNNING.pop(key, None)


def stop_running_jobs() -> int:
    """Kill every worker this process has running (workers live in their own sessions or containers, so a Ctrl-C in
    the terminal never reaches them, and they outlive a killed run); return how many."""
    kills = list(_RUNNING.values())
    for kill in kills:
        try:
            kill()
        except Exception:  # noqa: BLE001 - one already gone must not spare the others
            pass
    return len(kills)


def prepare_job_dir(job: Job, job_dir: Path) -> Path:
    """Create the job folder with ``job.json`` in it, dropping a stale result; return the absolute path."""
    job_dir = job_dir.resolve()
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / RESULT_FILE).unlink(missing_ok=True)
    write_model(job_dir / JOB_FILE, job)
    return job_dir


def outcome(job: Job, job_dir: Path, returncode: int | None, timed_out: bool, wall_time: float, log: LogTail) -> Result:
    """The worker's own Result if it wrote a valid one; otherwise one that says how the worker was stopped.

    Everything in the job folder is read as untrusted data (``eureka.sandbox.untrusted``); the worker's output is
    kept, capped, as ``worker.log``.

    Args:
        returncode: the worker's exit status (negative: killed by that signal; 137: SIGKILL in a container).
        timed_out: the backend killed it at its wall-clock limit.
        log: the tail of the worker's stdout and stderr.
    """
    write_new(job_dir / WORKER_LOG, log.data())
    path = job_dir / RESULT_FILE
    result = None if timed_out else read_model(path, Result)
    if result is not None and result.job_id == job.job_id:
        return result
    tail = log.text(LOG_TAIL_CHARS)
    killed_by = -returncode if returncode is not None and returncode < 0 else None
    if timed_out or killed_by == signal.SIGXCPU:
        status, error = Status.TIMEOUT, f"stopped after its {job.timeout_s:g} s limit"
    elif returncode == 137 or "MemoryError" in tail or "can't allocate memory" in tail:
        status, error = Status.MEMORY, f"ran out of its {job.memory_mb} MiB memory limit"
    else:
        how = f"signal {signal.Signals(killed_by).name}" if killed_by else f"exit status {returncode}"
        status, error = Status.KILLED, f"the sandboxed worker ended ({how}) without a valid result"
    if tail and status is not Status.TIMEOUT:
        error += f"; its last output:\n{tail}"
    result = Result(job_id=job.job_id, status=status, error=error, wall_time=wall_time)
    write_model(path, result)
    return result
