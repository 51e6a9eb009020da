"""Sandbox pieces that need no sandbox: the bwrap command line, error trimming, status mapping."""

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from eureka.sandbox.backends.base import LOG_BYTES, outcome, prepare_job_dir
from eureka.sandbox.backends.docker import gpu_index
from eureka.sandbox.backends.process import ProcessBackend, bwrap_command
from eureka.sandbox.protocol import RESULT_FILE, EpochRecord, Job, Result, Status, read_progress
from eureka.sandbox.untrusted import LogTail, clean_text
from eureka.sandbox.worker import candidate_error, classify

JOB = Job(job_id="j", task="cartpole", reward_code="x", timeout_s=5, memory_mb=100)


def test_bwrap_mounts_tmpfs_before_python_and_job_folder(tmp_path):
    """A venv or job folder under /tmp must stay visible above the empty /tmp."""
    args = bwrap_command(JOB, tmp_path)
    tmpfs = args.index("--tmpfs")
    binds = [i for i, a in enumerate(args) if a in ("--ro-bind", "--bind") and args[i + 1] != "/dev/null"]
    later = [args[i + 1] for i in binds if i > tmpfs]
    assert sys.prefix in later or any(sys.prefix.startswith(p) for p in later)
    assert str(tmp_path) in later
    assert args[args.index("--bind") + 1] == str(tmp_path), "the job folder is the only writable bind"
    assert args.count("--bind") == 1
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in args
    assert args[args.index("--cap-drop") + 1] == "ALL"


def test_candidate_error_keeps_only_candidate_frames():
    source = "def compute_reward(x):\n    return helper(x)\n\n\ndef helper(x):\n    return x / 0\n"
    namespace = {}
    exec(compile(source, "candidate.py", "exec"), namespace)
    with pytest.raises(ZeroDivisionError) as info:
        namespace["compute_reward"](1)
    text = candidate_error(info.value, source)
    assert 'File "candidate.py", line 2, in compute_reward\n    return helper(x)' in text
    assert "line 6, in helper\n    return x / 0" in text
    assert text.endswith("ZeroDivisionError: division by zero")
    assert "test_sandbox_units.py" not in text


def test_classify():
    from eureka.envs.contract import NonFiniteRewardError, RewardContractError
    from eureka.sandbox.restricted import PolicyViolation

    assert classify(RewardContractError("x")) is Status.INVALID
    assert classify(PolicyViolation("x")) is Status.INVALID
    assert classify(NonFiniteRewardError("total", 3)) is Status.NONFINITE_REWARD
    assert classify(MemoryError()) is Status.MEMORY
    assert classify(RuntimeError("DefaultCPUAllocator: can't allocate memory")) is Status.MEMORY
    assert classify(ValueError("x")) is Status.RUNTIME_ERROR


@pytest.mark.parametrize(
    ("returncode", "timed_out", "log", "status"),
    [
        (None, True, "", Status.TIMEOUT),
        (-signal.SIGXCPU, False, "", Status.TIMEOUT),
        (137, False, "", Status.MEMORY),
        (1, False, "MemoryError", Status.MEMORY),
        (-signal.SIGSEGV, False, "boom", Status.KILLED),
        (3, False, "", Status.KILLED),
    ],
)
def test_outcome_without_a_result_file(tmp_path, returncode, timed_out, log, status):
    job_dir = prepare_job_dir(JOB, tmp_path / "job")
    result = outcome(JOB, job_dir, returncode, timed_out, 1.0, _tail(log.encode()))
    assert result.status is status and result.error
    assert Result.model_validate_json((job_dir / RESULT_FILE).read_text()) == result
    assert (job_dir / "worker.log").read_text() == log


def _epoch(fitness: float, **fields) -> EpochRecord:
    return EpochRecord(epoch=1, fitness=fitness, env_steps=0, wall_time=0.0, **fields)


def _tail(data: bytes) -> LogTail:
    tail = LogTail(LOG_BYTES)
    tail.feed(data)
    return tail


def test_outcome_prefers_the_workers_result(tmp_path):
    job_dir = prepare_job_dir(JOB, tmp_path / "job")
    (job_dir / RESULT_FILE).write_text(Result(job_id="j", status=Status.OK, history=[_epoch(3.0)]).model_dump_json())
    assert outcome(JOB, job_dir, 0, False, 1.0, _tail(b"")).max_fitness == 3.0


@pytest.mark.parametrize("content", ["{not json", '{"job_id": "j", "status": "ok", "max_fitness": null', "[]"])
def test_a_malformed_result_is_a_status_not_a_crash(tmp_path, content):
    job_dir = prepare_job_dir(JOB, tmp_path / "job")
    (job_dir / RESULT_FILE).write_text(content)
    result = outcome(JOB, job_dir, 0, False, 1.0, _tail(b"done"))
    assert result.status is Status.KILLED and "without a valid result" in result.error


def test_the_host_follows_no_symlink_the_job_planted(tmp_path):
    """A job folder whose result.json, result.tmp and worker.log point at host files: none is read or written."""
    job_dir = prepare_job_dir(JOB, tmp_path / "job")
    forged, secret, victim = tmp_path / "forged.json", tmp_path / "secret", tmp_path / "victim"
    forged.write_text(forged_text := Result(job_id="j", status=Status.OK, history=[_epoch(1e30)]).model_dump_json())
    secret.write_text("API_KEY=sk-secret")
    victim.write_text("precious")
    (job_dir / RESULT_FILE).symlink_to(forged)
    (job_dir / "result.tmp").symlink_to(victim)
    (job_dir / "worker.log").symlink_to(secret)
    result = outcome(JOB, job_dir, 0, False, 1.0, _tail(b"worker output"))
    assert result.status is Status.KILLED and "sk-secret" not in result.error
    assert victim.read_text() == "precious" and secret.read_text() == "API_KEY=sk-secret"
    assert not (job_dir / RESULT_FILE).is_symlink() and not (job_dir / "worker.log").is_symlink()
    assert forged.read_text() == forged_text


def test_read_progress_does_not_block_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "progress.jsonl")
    assert read_progress(tmp_path) == []


def test_read_progress_stops_at_a_line_that_is_not_progress(tmp_path):
    good = '{"epoch": 1, "fitness": null, "env_steps": 10, "wall_time": 0.1}'
    (tmp_path / "progress.jsonl").write_text(f"{good}\n[1, 2]\n{good}\n")
    assert [p.epoch for p in read_progress(tmp_path)] == [1]


def test_log_tail_keeps_the_last_bytes_of_a_flood():
    tail = LogTail(1000)
    for i in range(10_000):
        tail.feed(f"warning {i}\n".encode() * 10)
    data = tail.data()
    assert data.endswith(b"warning 9999\n") and len(data) < 1100
    assert data.startswith(b"[... ") and str(tail.total - 1000).encode() in data


def test_result_texts_from_a_job_are_cleaned_and_capped():
    result = Result(
        job_id="j",
        status=Status.RUNTIME_ERROR,
        error="\x1b[2J\x1b[32mmax fitness 500\x07" + "x" * 10_000,
        history=[_epoch(0.0, components={"a\x1b[31mb": {"mean": 0, "min": 0, "max": 0}})],
    )
    assert "\x1b" not in result.error and "\x07" not in result.error and len(result.error) <= 2000
    assert list(result.components[0]) == ["a\ufffd[31mb"]


def test_clean_text_keeps_newlines_and_tabs():
    assert clean_text("a\n\tb\r\x00", 100) == "a\n\tb\ufffd\ufffd"


def test_a_flood_of_output_is_capped_on_the_host(tmp_path):
    """The real process backend's pipe: 50 MB of output leave a worker.log of at most LOG_BYTES."""

    class Flood(ProcessBackend):
        def command(self, job, job_dir):
            return [
                sys.executable,
                "-c",
                "import sys\nfor i in range(50_000): sys.stdout.write('w' * 999 + '\\n')\n"
                "sys.stdout.write('the end'); sys.exit(3)",
            ]

    result = Flood(unsafe_no_sandbox=True).run(JOB, tmp_path / "job")
    log = (tmp_path / "job" / "worker.log").read_bytes()
    assert result.status is Status.KILLED and result.error.endswith("the end")
    assert len(log) < LOG_BYTES + 100 and log.endswith(b"the end")


def test_seccomp_refuses_namespaces_fifos_and_io_uring():
    """The worker's filter, installed in a child process: each call fails with EPERM."""
    script = """
import ctypes, errno, os, sys
from eureka.sandbox.worker import install_seccomp
install_seccomp()
libc = ctypes.CDLL(None, use_errno=True)
failed = []
for name, call in [
    ("unshare", lambda: libc.unshare(0x10000000)),  # CLONE_NEWUSER
    ("mkfifo", lambda: os.mkfifo(sys.argv[1]) or 0),
    ("io_uring_setup", lambda: libc.syscall(425, 1, ctypes.create_string_buffer(120))),
    ("userfaultfd", lambda: libc.syscall(323 if os.uname().machine == "x86_64" else 282, 0)),
]:
    try:
        rc = call()
        err = ctypes.get_errno()
    except OSError as exc:
        rc, err = -1, exc.errno
    if not (rc == -1 and err == errno.EPERM):
        failed.append(name)
print(",".join(failed) or "all refused")
"""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", script, f"{tmp}/fifo"], capture_output=True, text=True)
    assert out.stdout.strip() == "all refused", out.stdout + out.stderr


def test_read_progress_skips_a_half_written_line(tmp_path):
    (tmp_path / "progress.jsonl").write_text(
        '{"epoch": 1, "fitness": null, "env_steps": 10, "wall_time": 0.1}\n{"epoch": 2, "fitn'
    )
    assert [p.epoch for p in read_progress(tmp_path)] == [1]
    assert read_progress(tmp_path, seen=1) == []


def test_gpu_index():
    assert gpu_index("cpu") is None
    assert gpu_index("cuda") == "0"
    assert gpu_index("cuda:3") == "3"


def test_a_new_jobs_threads_share_the_cores_with_running_workers():
    """`eureka train` beside another job must not take every core (both would spin on the same ones)."""
    from eureka.sandbox.executor import free_cores, usable_cores, worker_pids

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "eureka.sandbox.worker"])
    try:
        deadline = time.monotonic() + 10  # its /proc cmdline may read empty for a moment around the exec
        while sleeper.pid not in worker_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sleeper.pid in worker_pids()
        assert free_cores() <= max(1, usable_cores() // 2)
    finally:
        sleeper.kill()
        sleeper.wait()
