"""The `eureka` command as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EUREKA = [str(Path(sys.executable).parent / "eureka")]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*EUREKA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_train_writes_result_and_checkpoint(tmp_path):
    proc = run("train", "--task", "cartpole", "--epochs", "3", "--num-envs", "64", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["status"] == "ok" and len(result["fitness_curve"]) == 3 and result["env_steps"] == 3 * 64 * 16
    assert (tmp_path / "out" / "train" / "policy.pth").exists()
    assert not (tmp_path / "out" / "train" / "result.json").exists()  # one result.json per job
    assert "max fitness" in proc.stdout


def test_bad_reward_file_is_refused_with_exit_2(tmp_path):
    (tmp_path / "r.py").write_text("def compute_reward(pole_angle):\n    return pole_angle[:3], {'a': pole_angle}\n")
    proc = run("train", "--task", "cartpole", "--reward", "r.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "must have shape (16,), got (3,)" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "(invalid)" in proc.stderr


def test_refuses_to_run_unsandboxed_where_bwrap_cannot_start(tmp_path):
    """With no bubblewrap on PATH the CLI says why and how to proceed, and runs nothing."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [*EUREKA, "train", "--task", "cartpole"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2
    assert "bubblewrap (bwrap) is not installed" in proc.stderr and "--unsafe-no-sandbox" in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_unknown_task_lists_the_known_ones(tmp_path):
    proc = run("train", "--task", "walker", cwd=tmp_path)
    assert proc.returncode == 2 and "known tasks: acrobot," in proc.stderr and "cartpole" in proc.stderr


def test_tasks_lists_every_task_and_shows_one(tmp_path):
    proc = run("tasks", cwd=tmp_path)
    assert proc.returncode == 0
    for name in ("cartpole", "pendulum", "acrobot", "mountain_car", "quadrotor", "reacher"):
        assert name in proc.stdout
    proc = run("tasks", "pendulum", cwd=tmp_path)
    assert proc.returncode == 0 and "- pole_angular_velocity: shape (num_envs)" in proc.stdout


def test_help_shows_defaults_and_config_show_resolves_overrides(tmp_path):
    """Defaults are visible in --help (rich markup used to eat "[default: 3]"); `config show` prints what a run
    would use and refuses a typo."""
    assert "[default: 3]" in " ".join(run("run", "--help", cwd=tmp_path).stdout.split())
    proc = run("config", "show", "search.samples=8", "llm.temperature=0.5", cwd=tmp_path)
    assert proc.returncode == 0 and "  samples: 8\n" in proc.stdout and "  temperature: 0.5\n" in proc.stdout
    proc = run("config", "show", "search.sample=8", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'search.samples'?" in " ".join(proc.stderr.split())


REWARD_FILES = {
    "binary.py": b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
    "a[/]b[bold].py": b"def compute_reward(pole_angle):\n    return pole_angle[:3], {'a': pole_angle}\n",
    "exits.py": b"def compute_reward(pole_angle):\n    raise SystemExit(0)\n",
    "escapes.py": b"def compute_reward(pole_angle):\n    raise ValueError('[/] [bold]\\x1b[2Jfake')\n",
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "-1"], "epochs and num_envs must be at least 1"),
        (["--num-envs", "0"], "epochs and num_envs must be at least 1"),
        (["--timeout", "0"], "timeout_s: Input should be greater than 0"),
        (["--out", "a_file"], "exists and is not a folder"),
        (["--checkpoint", "missing.pth"], "is not a file"),
        (["--reward", "binary.py"], "is not UTF-8 text"),
        (["--reward", "a[/]b[bold].py"], "must have shape (16,), got (3,)"),
        (["--reward", "exits.py"], "(runtime_error): Traceback (candidate code only)"),
        (["--reward", "escapes.py"], "ValueError: [/] [bold]\ufffd[2Jfake"),
    ],
)
def test_bad_input_is_one_paragraph_and_exit_2(tmp_path, args, message):
    (tmp_path / "a_file").write_text("not a folder")
    for name, content in REWARD_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    proc = run("train", "--task", "cartpole", "--epochs", "2", "--num-envs", "16", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = " ".join(proc.stderr.split())  # rich wraps long lines
    assert message in text
    assert "Traceback (most recent call last)" not in proc.stderr + proc.stdout and "\x1b" not in proc.stderr
