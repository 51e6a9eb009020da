"""Runs one Job inside a sandbox: ``python -m eureka.sandbox.worker JOB_DIR``.

Order matters: the process first limits itself (memory, CPU time, file size, no core dumps) and refuses code the
policy refuses at compile time (before torch, which costs seconds to import), imports what it needs, then installs a
seccomp filter (no sockets, no exec, no ptrace, no new processes or namespaces; threads still work), and only then
runs the candidate's module body under the RestrictedPython policy, dry-runs it and trains. Every way the
candidate can fail ends in a ``Result`` with its status and a short error that points at the candidate's own lines.
"""

from __future__ import annotations

import errno
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from eureka.sandbox.protocol import (
    JOB_FILE,
    MAX_ERROR_CHARS,
    PROGRESS_FILE,
    RESULT_FILE,
    TRAIN_DIR,
    EpochRecord,
    Job,
    Progress,
    Result,
    Status,
    write_model,
)
from eureka.sandbox.restricted import FILENAME, PolicyViolation, refusal_text, restricted_bytecode
from eureka.sandbox.untrusted import clean_text

if TYPE_CHECKING:
    from eureka.envs.task import Task

MAX_FILE_BYTES = 2 << 30  # checkpoints and logs stay far below this
CLONE_THREAD = 0x00010000
#: syscalls refused with EPERM once the candidate may run: network, exec, new processes, other processes' memory,
#: new namespaces (unshare(CLONE_NEWUSER) would give back capabilities inside one), device and FIFO nodes, and the
#: kernel interfaces with a history of privilege escalations (io_uring, bpf, userfaultfd, perf, keyrings)
DENIED_SYSCALLS = (
    *("socket", "socketpair", "connect", "bind", "listen", "execve", "execveat", "fork", "vfork"),
    *("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "unshare", "setns", "mount", "umount2"),
    *("pivot_root", "chroot", "mknod", "mknodat", "userfaultfd", "bpf", "perf_event_open"),
    *("io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key", "request_key"),
)


def limit_resources(job: Job) -> None:
    """Memory, CPU seconds (all threads), file size and core dumps, for this process and its threads.

    A CPU job's memory is its address space. A CUDA job cannot have that limit: the CUDA driver reserves far more
    address space than it ever backs, and fails to initialise under RLIMIT_AS. It gets RLIMIT_DATA instead (the
    private writable memory the process actually asks for; the driver's reservations are not writable) and, once
    torch is loaded, a cap on the GPU memory torch may allocate (``cap_gpu_memory``).
    """
    memory = job.memory_mb << 20
    limit = resource.RLIMIT_DATA if job.device.startswith("cuda") else resource.RLIMIT_AS
    resource.setrlimit(limit, (memory, memory))
    cpu = int(job.timeout_s * max(job.threads, 1)) + 30
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def cap_gpu_memory(job: Job) -> None:
    """Limit what torch's allocator may take of a CUDA job's GPU to ``job.gpu_memory_mb`` (the rest of the card is
    other jobs'); past it, allocations raise CUDA out-of-memory, which ends the job with the ``memory`` status."""
    if not job.device.startswith("cuda") or job.gpu_memory_mb is None:
        return
    import torch

    device = torch.device(job.device)
    total = torch.cuda.get_device_properties(device).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, (job.gpu_memory_mb << 20) / total), device)


def install_seccomp() -> None:
    """Refuse network, exec, ptrace and process creation; thread creation (clone with CLONE_THREAD) stays."""
    import pyseccomp as seccomp

    denied = seccomp.ERRNO(errno.EPERM)
    syscall_filter = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        syscall_filter.add_rule(denied, name)
    # clone3 passes its flags in memory, out of seccomp's sight: ENOSYS makes glibc fall back to clone.
    syscall_filter.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    syscall_filter.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    syscall_filter.load()


def candidate_error(exc: BaseException, source: str) -> str:
    """The exception with the traceback trimmed to the candidate's own frames (with their source lines)."""
    lines = source.splitlines()
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == FILENAME]
    trace = [
        f'  File "{FILENAME}", line {f.lineno}, in {f.name}\n    {lines[f.lineno - 1].strip()}'
        for f in frames[-4:]
        if f.lineno and 0 < f.lineno <= len(lines)
    ]
    head = ["Traceback (candidate code only):", *trace] if trace else []
    message = f"{type(exc).__name__}: {exc}"
    return clean_text("\n".join([*head, message]), MAX_ERROR_CHARS)


def _is_memory_error(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) or "out of memory" in str(exc)


def classify(exc: BaseException) -> Status:
    """The status a candidate's exception ends its job with."""
    from eureka.envs.contract import NonFiniteRewardError, RewardContractError

    if isinstance(exc, RewardContractError | PolicyViolation):
        return Status.INVALID
    if isinstance(exc, NonFiniteRewardError):
        return Status.NONFINITE_REWARD
    if _is_memory_error(exc):
        return Status.MEMORY
    return Status.RUNTIME_ERROR


def run_job(job: Job, task: Task, job_dir: Path) -> Result:
    """Check and train ``job`` of ``task`` in ``job_dir``; return its Result (also what ``main`` writes)."""
    from eureka.sandbox.rewards import compile_reward, dry_run

    start = time.perf_counter()
    progress = (job_dir / PROGRESS_FILE).open("a", buffering=1)

    def on_epoch(record: EpochRecord) -> None:
        progress.write(record.model_dump_json(include=set(Progress.model_fields)) + "\n")

    try:
        fn = compile_reward(job.reward_code, task, FILENAME)
        dry_run(fn, task, job.device)
        if job.check_only:
            return Result(job_id=job.job_id, status=Status.OK, wall_time=time.perf_counter() - start)
        from eureka.policies.ppo import train  # rl_games costs seconds to import; checks never need it

        trained = train(
            task,
            fn,
            out_dir=job_dir / TRAIN_DIR,
            seed=job.seed,
            budget=task.budget.resized(epochs=job.epochs, num_envs=job.num_envs),
            device=job.device,
            threads=job.threads,
            init_checkpoint=Path(job.init_checkpoint) if job.init_checkpoint else None,
            on_epoch=on_epoch,
            reference_fn=task.human_reward if job.compare_with_human else None,
        )
    # Every failure of the candidate becomes a status, never a crash of the run: SystemExit included (a reward
    # that raises it must not pass for a worker that died).
    except (Exception, SystemExit) as exc:
        return Result(
            job_id=job.job_id,
            status=classify(exc),
            error=candidate_error(exc, job.reward_code),
            wall_time=time.perf_counter() - start,
        )
    finally:
        progress.close()
    return Result(job_id=job.job_id, status=Status.OK, **dict(trained) | {"wall_time": time.perf_counter() - start})


def refused_at_compile_time(job: Job) -> Result | None:
    """The INVALID result of code the policy refuses at compile time, found before any torch import (seconds)."""
    try:
        restricted_bytecode(job.reward_code, FILENAME)
    except SyntaxError as exc:
        return Result(job_id=job.job_id, status=Status.INVALID, error=f"{FILENAME}: {refusal_text(exc)}")
    except Exception:  # noqa: BLE001 - e.g. RecursionError on deep nesting: the full path meets and classifies it
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point inside the sandbox. Exit 0 when a Result was written, whatever its status."""
    job_dir = Path((argv or sys.argv[1:])[0]).resolve()
    job = Job.model_validate_json((job_dir / JOB_FILE).read_text())
    limit_resources(job)
    refused = refused_at_compile_time(job)
    if refused is not None:
        write_model(job_dir / RESULT_FILE, refused)
        return 0
    import torch  # noqa: F401 - load torch and its thread pools before the filter refuses anything

    from eureka.plugins.manager import get_task

    # The task's plugin is trusted code the user installed: it is imported before the filter (a simulator's
    # import may need what the candidate may not), the candidate's code only after.
    task = get_task(job.task)
    cap_gpu_memory(job)
    install_seccomp()
    write_model(job_dir / RESULT_FILE, run_job(job, task, job_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
