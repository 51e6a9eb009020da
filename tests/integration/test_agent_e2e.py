"""End to end with every real part: the embedded model writes the rewards, the process sandbox checks and trains
them with PPO, and `eureka run` reports. Tiny budgets; the model's time dominates (minutes on 2 cores)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eureka.cli import app

pytestmark = pytest.mark.slow


def test_eureka_run_with_the_embedded_model_finds_and_measures_a_reward(tmp_path):
    args = ["run", "--task", "cartpole", "--iterations", "1", "--samples", "2", "--epochs", "15"]
    args += ["--final-seeds", "1", "--final-epochs", "15", "--runs-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["usage"]["calls"] >= 2  # two samples, plus any repairs
    assert summary["best"] is not None, summary["candidates"]
    assert summary["best"]["max_fitness"] > 0
    assert "def compute_reward(" in (run_dir / "best_reward.py").read_text()
    assert summary["final"]["eureka"]["max_fitness"][0] > 0
    assert "report:" in result.output and (run_dir / "report.html").exists()
