"""Sandbox pieces that need no sandbox: the bwrap command line, error trimming, status mapping."""

import signal
import sys

import pytest

from eureka.sandbox.backends.base import outcome, prepare_job_dir
from eureka.sandbox.backends.docker import gpu_index
from eureka.sandbox.backends.process import bwrap_command
from eureka.sandbox.protocol import RESULT_FILE, Job, Result, Status, read_progress
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
    from eureka.envs.base import NonFiniteRewardError, RewardContractError
    from eureka.sandbox.policy import PolicyViolation

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
    (job_dir / "worker.log").write_text(log)
    result = outcome(JOB, job_dir, returncode, timed_out, 1.0)
    assert result.status is status and result.error
    assert Result.model_validate_json((job_dir / RESULT_FILE).read_text()) == result


def test_outcome_prefers_the_workers_result(tmp_path):
    job_dir = prepare_job_dir(JOB, tmp_path / "job")
    (job_dir / RESULT_FILE).write_text(Result(job_id="j", status=Status.OK, max_fitness=3.0).model_dump_json())
    assert outcome(JOB, job_dir, 0, False, 1.0).max_fitness == 3.0


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
