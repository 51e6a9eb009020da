"""`eureka bench` on two tasks with a scripted model provider added through the plugin hook (real sandbox and PPO,
tiny budgets): the table, and a resume that trains nothing again."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from eureka.cli import app
from eureka.plugins import hookimpl
from eureka.plugins.manager import get_plugins
from eureka.report.bench import BenchRow, average_score

#: valid for every task: they all expose ``success``
ANY_TASK = """```python
def compute_reward(success):
    alive = 0.1 * torch.ones_like(success)
    return alive + success, {"alive": alive, "success": success}
```"""


class ScriptedProvider:
    """A model provider plugin whose model always writes the same reward."""

    @hookimpl
    def eureka_llm_backends(self):
        return {"scripted": lambda config: FakeListChatModel(responses=[ANY_TASK])}


@pytest.fixture
def scripted_provider():
    plugins = get_plugins()
    plugins.add(ScriptedProvider(), "scripted", "test")
    yield
    plugins.remove("scripted")


def test_bench_tabulates_every_task_and_resumes_without_training_again(tmp_path, scripted_provider):
    args = ["bench", "--tasks", "cartpole,mountain_car", "--seeds", "1", "--iterations", "1", "--samples", "1"]
    settings = ("llm.provider=scripted", "training.epochs=3", "training.final_epochs=3", "training.num_envs=256")
    for setting in (*settings, "search.tune_trials=0"):
        args += ["--set", setting]
    result = CliRunner().invoke(app, [*args, "--runs-dir", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    (bench_dir,) = tmp_path.iterdir()
    table = json.loads((bench_dir / "bench.json").read_text())
    assert [r["task"] for r in table["rows"]] == ["cartpole", "mountain_car"]
    for r in table["rows"]:
        assert r["eureka"] is not None and r["human"] is not None and r["sparse"] is not None
    assert (
        "| task | F_sparse | F_human | F_eureka | human-normalised score | win | learning-speed score |"
        in (bench_dir / "bench.md").read_text()
    )
    # cartpole's human and sparse rewards tie at 500: the paper's score is n/a, the learning speed may still compare
    assert all("speed" in r for r in table["rows"])

    results = sorted(bench_dir.glob("*/final/*/result.json"))
    before = [p.stat().st_mtime_ns for p in results]
    again = CliRunner().invoke(app, ["bench", "--runs-dir", str(tmp_path), "--resume", bench_dir.name])
    assert again.exit_code == 0, again.output
    assert [p.stat().st_mtime_ns for p in results] == before
    assert json.loads((bench_dir / "bench.json").read_text())["rows"] == table["rows"]


def test_average_clips_scores_and_skips_ties():
    rows = [
        BenchRow(task="a", run="r", sparse=(0, 0), human=(1, 0), eureka=(9, 0), score=9.0),
        BenchRow(task="b", run="r", sparse=(0, 0), human=(1, 0), eureka=(-1, 0), score=-1.0),
        BenchRow(task="c", run="r", sparse=(1, 0), human=(1, 0), eureka=(1, 0), score=None),
    ]
    assert average_score(rows) == pytest.approx(1.5)
    assert [r.win for r in rows] == [True, False, False]
