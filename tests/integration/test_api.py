"""The Python API: `eureka.search` and `eureka.train` run what the command runs (scripted model replies, the real
sandbox and PPO, tiny budgets) and hand back typed results."""

from __future__ import annotations

import importlib.metadata
import json

import pytest
from scripted import GOOD, ScriptedModel

import eureka
from eureka.report.summary import Summary


def test_search_returns_the_runs_typed_summary(tmp_path):
    overrides = {
        "search.iterations": 1,
        "search.samples": 1,
        "search.tune_trials": 0,
        "training.epochs": 3,
        "training.num_envs": 64,
        "training.final_seeds": 1,
        "training.final_epochs": 3,
    }
    model = ScriptedModel(responses=[GOOD], prompts=[])
    summary = eureka.search("cartpole", overrides, runs_dir=tmp_path, llm=model)
    assert summary.task == "cartpole" and summary.best is not None and summary.best.id == "it1-c0"
    assert set(summary.final) == {"eureka", "human", "sparse"} and summary.final["human"].mean > 0
    # the file a tool reads is the same record
    written = tmp_path / summary.run / "summary.json"
    assert Summary.model_validate(json.loads(written.read_text())) == summary
    with pytest.raises(ValueError, match="did you mean 'search.samples'"):
        eureka.search("cartpole", {"search.sample": 2}, runs_dir=tmp_path)


def test_train_returns_the_jobs_result(tmp_path):
    result = eureka.train("cartpole", "sparse", epochs=2, num_envs=64, out=tmp_path / "job")
    assert result.ok and len(result.fitness_curve) == 2
    assert (tmp_path / "job" / "train" / "policy.pth").exists()
    with pytest.raises(KeyError, match="unknown task 'walker'"):
        eureka.train("walker")


def test_version_is_the_distributions():
    assert eureka.__version__ == importlib.metadata.version(eureka.DISTRIBUTION)
