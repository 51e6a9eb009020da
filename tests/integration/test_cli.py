"""The `eureka` command as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

EUREKA = [str(Path(sys.executable).parent / "eureka")]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*EUREKA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_train_writes_result_and_checkpoint(tmp_path):
    proc = run("train", "--task", "cartpole", "--epochs", "3", "--num-envs", "64", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["status"] == "ok" and len(result["fitness_curve"]) == 3 and result["env_steps"] == 3 * 64 * 16
    assert (tmp_path / "out" / "train" / "policy.pth").exists()
    assert json.loads((tmp_path / "out" / "train" / "result.json").read_text())["epochs"] == 3
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
    assert proc.returncode == 2 and "known tasks: acrobot, cartpole" in proc.stderr


def test_tasks_lists_every_task(tmp_path):
    proc = run("tasks", cwd=tmp_path)
    assert proc.returncode == 0
    for name in ("cartpole", "pendulum", "acrobot", "mountain_car", "quadrotor", "reacher"):
        assert name in proc.stdout
