"""The example plugin package, installed with pip into this environment: listed, and its task searched end to end
(scripted replies for the metric and feedback hooks, then the embedded model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eureka-plugin-example"
EUREKA = [str(Path(sys.executable).parent / "eureka")]
SLIDER_REWARD = """```python
def compute_reward(offset, velocity):
    near = torch.exp(-offset.abs() / 0.2)
    slow = torch.exp(-velocity.abs() / 0.5) * near
    return near + slow, {"near": near, "slow": slow}
```"""
SCRIPTED_RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from eureka.agent.run import make_context, run_search
    from eureka.config import RunConfig
    from eureka.agent.run_folder import RunFolder

    config = RunConfig.load(None, {"task": "slider", "search.samples": 1, "search.iterations": 1,
                                   "search.tune_trials": 0,
                                   "training.epochs": 10, "training.final_seeds": 1, "training.final_epochs": 5})
    folder = RunFolder.create(Path(sys.argv[1]), "slider")
    config.save(folder.config)
    run_search(make_context(config, folder, llm=FakeListChatModel(responses=[sys.argv[2]])))
    """
)


@pytest.fixture(scope="module")
def installed():
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", str(EXAMPLE)]
    subprocess.run(pip, check=True)
    yield
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "-y", "eureka-plugin-example"], check=True)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_eureka_plugins_lists_the_example(installed):
    listing = _run([*EUREKA, "plugins"]).stdout
    assert "example" in listing and "eureka-plugin-example 0.1.0" in listing and "tasks: slider" in listing
    assert "slider" in _run([*EUREKA, "tasks"]).stdout


def test_the_example_metric_and_feedback_reach_the_reflection(installed, tmp_path):
    _run([sys.executable, "-c", SCRIPTED_RUN, str(tmp_path), SLIDER_REWARD])
    (run_dir,) = tmp_path.iterdir()
    record = json.loads((run_dir / "iterations" / "it1.json").read_text())
    assert record["best"] == "it1-c0"
    assert "epochs_to_threshold:" in record["reflection"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert set(summary["final"]) == {"eureka", "human", "sparse"}
    assert set(summary["metrics"]["1"]) == {"epochs_to_threshold"}  # the example's metric, in the run's summary


def test_eureka_run_on_the_example_task_with_the_embedded_model(installed, tmp_path):
    # one repair round: this test is about the plugin's task running end to end, the repair loop has its own tests;
    # CI's run of it once spent 625 s, two model repairs of ~3 min each on 2 cores
    args = [*EUREKA, "run", "--task", "slider", "--iterations", "1", "--samples", "2", "--epochs", "20"]
    args += ["--tune-trials", "1", "--final-seeds", "1", "--final-epochs", "20", "--repair-rounds", "1"]
    args += ["--runs-dir", str(tmp_path)]
    output = _run(args, timeout=1500).stdout
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["task"] == "slider" and summary["usage"]["calls"] >= 1  # one request (n=2), plus any repairs
    assert summary["final"]["human"]["max_fitness"][0] > 0
    assert "report:" in output
