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
from eureka.report.bench import BenchRow, average_score, why_not_a_win
from eureka.report.summary import Summary

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
        "| task | F_sparse | F_human | F_eureka | human-normalised score | win | learning-speed score | why not a win |"
        in (bench_dir / "bench.md").read_text()
    )
    # cartpole's human and sparse rewards may tie (at 500 on a full budget; at these 3 epochs they have tied at 21.9
    # and missed by 0.01): the paper's score is then n/a, and the learning speed may still compare
    assert all("speed" in r for r in table["rows"])
    # a row that did not win says why, from its run
    assert all(r["win"] or r["why"].startswith("1 of 1 candidates trained; ") for r in table["rows"]), table["rows"]

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


def _summary(score, candidates, eureka_mean=0.5):
    def final(mean):
        return {"seeds": [0, 1], "max_fitness": [mean, mean], "mean": mean, "std": 0.0, "curve_mean": [], "speed": 0,
                "errors": []}  # fmt: skip

    return Summary.model_validate(
        {
            "run": "r",
            "task": "t",
            "fitness_kind": "success",
            "success_threshold": 0.9,
            "iterations": 1,
            "samples": len(candidates),
            "best": None,
            "human_normalised_score": score,
            "learning_speed_score": None,
            "final": {"human": final(1.0), "sparse": final(0.0), "eureka": final(eureka_mean)},
            "tuning": {},
            "candidates": [{"stage": "dropped" if f is None else "trained", "max_fitness": f} for f in candidates],
            "seconds": {},
            "usage": {},
        }  # fmt: skip
    )


def test_a_lost_task_says_why_from_its_run():
    assert why_not_a_win(_summary(1.2, [1.0])) == ""
    assert why_not_a_win(_summary(None, [None, None])).startswith("none of its 2 candidates trained")
    assert "the best reached 0.3 in the search, the human reward 1" in why_not_a_win(_summary(0.3, [0.3, None]))
    held = why_not_a_win(_summary(0.5, [1.0, 0.2]))
    assert held.startswith("2 of 2 candidates trained")
    assert "0.5 ± 0 over 2 held-out seeds: it did not hold there" in held
